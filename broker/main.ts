#!/usr/bin/env node
/** The `broker` executable: flags and config file as redis-server takes them. */
import { Broker, ListenError } from './server.js';
import { ConfigError } from './config/config.js';
import { LoadCancelled, PersistenceStartError } from './persistence/loading.js';
import { checkAofMain } from './persistence/aof/check.js';
import { HttpListenError, HttpServer } from './http/server.js';
import { checkRdbMain } from './persistence/check-rdb.js';
import { attachReplication } from './replication/replication.js';

async function main(): Promise<void> {
  // `broker check-aof [--fix] <dir>`: the redis-check-aof of this broker's AOF.
  if (process.argv[2] === 'check-aof') process.exit(checkAofMain(process.argv.slice(3)));
  // `broker check-rdb <file>`: the redis-check-rdb of a snapshot file.
  if (process.argv[2] === 'check-rdb') process.exit(checkRdbMain(process.argv.slice(3)));
  let broker: Broker;
  let http: HttpServer | null = null;
  try {
    // A scrape on the RESP port is answered by the HTTP server, built once the broker is.
    broker = new Broker({ args: process.argv.slice(2), respPortHttp: (head) => http!.inject(head) });
    http = new HttpServer(broker);
    attachReplication(broker);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // SHUTDOWN and the signals stop the broker through the same path; then the process goes.
  broker.onShutdown = () => process.exit(0);
  // Handlers go in before start-up: a signal while the dataset loads (clients are
  // answered meanwhile) stops the load and exits with 0, as redis-server does.
  const shutdown = (signal: string): void => {
    if (broker.persistence.loading.active) broker.log.warn('Received shutdown signal during loading, scheduling shutdown.');
    else broker.log.info(`Received ${signal} scheduling shutdown...`);
    void broker.shutdown({ save: false, nosave: false, now: false, force: false }).then((refusal) => {
      // A failed final save does not keep a signalled process alive; SHUTDOWN ABORT does.
      if (refusal !== null && !refusal.aborted) process.exit(1);
    });
  };
  // What escapes every guard (broker/guard.ts) is a bug outside any client's action: its
  // state is unknown (a command half applied, a structure half changed), and carrying on
  // could serve or persist corrupt data. As redis-server on a failed assertion, the
  // process stops with a report; the AOF holds what was acknowledged.
  process.on('uncaughtException', (err) => crashReport(broker, err));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    // The WebSocket gateway, GET /ws on the HTTP server: loaded only when there is one
    // (with ws, its import costs about 0.1 s of every start).
    if (broker.config.int('http-port') !== 0) {
      const { Gateway } = await import('./gateway/gateway.js');
      new Gateway(broker).register(http);
    }
    // HTTP first: /readyz answers while the dataset loads.
    await http.listen();
    await broker.start();
  } catch (err) {
    // SHUTDOWN or a signal stopped the load: the shutdown exits the process.
    if (err instanceof LoadCancelled) return;
    if (!(err instanceof ListenError) && !(err instanceof PersistenceStartError) && !(err instanceof HttpListenError)) throw err;
    broker.log.fatal(err.message);
    // pino writes asynchronously to a file: let it finish before exiting.
    broker.log.flush();
    process.exit(1);
  }
}

function crashReport(broker: Broker, err: unknown): never {
  broker.log.fatal('=== BROKER BUG REPORT START: Cut & paste starting from here ===');
  broker.log.fatal({ err }, `Guru Meditation: ${err instanceof Error ? err.message : String(err)}`);
  broker.log.fatal('=== BROKER BUG REPORT END. Make sure to include from START to END. ===');
  broker.log.flush();
  process.exit(1);
}

void main();
