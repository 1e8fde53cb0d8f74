/**
 * Guards for the broker's entry points from the event loop (socket events, timers,
 * the cron): an exception thrown there would otherwise be uncaught and end the process,
 * every client's connection with it. A command's own failure is answered with an error
 * reply where it happens (Engine.call, Connection.runCommand); what reaches a guard is
 * logged with where it happened, and a client whose event failed is disconnected, since
 * its protocol state (a half-parsed request, a half-written reply) cannot be trusted.
 *
 * What escapes every guard is a bug in code no client drives: main.ts then crashes the
 * process with a report, as redis-server does on a failed assertion (see there why).
 */
import type { Logger } from './log.js';

/** What a guard needs of a client: a name for the log line and a way to drop it. */
export interface GuardedClient {
  readonly addr: string;
  close(): void;
}

/**
 * `fn` wrapped so that what it throws is logged (and `client`, if given, disconnected)
 * instead of thrown. Three arguments at most (the WebSocket upgrade listener's), passed
 * as they are: a rest parameter spread into `fn` cost every read of every client an array.
 */
export function guarded<A = void, B = void, C = void>(
  log: Logger,
  what: string,
  fn: (a: A, b: B, c: C) => void,
  client?: GuardedClient,
): (a: A, b: B, c: C) => void {
  return (a: A, b: B, c: C): void => {
    try {
      fn(a, b, c);
    } catch (err) {
      if (client === undefined) {
        log.error({ err }, `Internal error ${what}; carrying on`);
        return;
      }
      log.error({ err, client: client.addr }, `Internal error ${what}; closing the client`);
      try {
        client.close();
      } catch (closeErr) {
        log.error({ err: closeErr, client: client.addr }, 'Internal error closing a client');
      }
    }
  };
}
