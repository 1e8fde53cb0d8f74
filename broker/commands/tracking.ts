/**
 * CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR: client-side caching's commands,
 * as redis-server 7.0's clientCommand parses and checks them; the tracking itself is
 * the engine's (engine/tracking.ts).
 *
 * Where this differs on purpose: given overlapping PREFIXes where the overlap is
 * between the second and a later one (`PREFIX a PREFIX b PREFIX bc`), redis-server
 * 7.0 answers the error and then +OK as well, with tracking enabled (its
 * checkPrefixCollisionsOrReply returns the index as if it were success): two replies
 * to one command desynchronise the client. This broker answers the error alone and
 * changes nothing.
 */
import type { CommandDef } from '../../engine/command.js';
import type { Engine } from '../../engine/engine.js';
import {
  CACHING_NO_WITHOUT_OPTOUT,
  CACHING_WITHOUT_TRACKING,
  CACHING_YES_WITHOUT_OPTIN,
  NOT_INTEGER,
  SYNTAX,
  TRACKING_BCAST_SWITCH,
  TRACKING_NO_REDIRECT_CLIENT,
  TRACKING_OPTIN_AND_OPTOUT,
  TRACKING_OPTIN_OPTOUT_SWITCH,
  TRACKING_OPTIN_OPTOUT_WITH_BCAST,
  TRACKING_PREFIX_OVERLAPS_EXISTING,
  TRACKING_PREFIX_OVERLAPS_GIVEN,
  TRACKING_PREFIX_WITHOUT_BCAST,
  TRACKING_SINGLE_REDIRECT,
} from '../../engine/errors.js';
import type { ClientTracking, TrackingOptions } from '../../engine/tracking.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import type { Config } from '../config/config.js';
import { commandKeys } from './getkeys.js';

/** The options after ON|OFF, checked as they come; null after replying an error. */
function parseTrackingOptionsOrReply(c: Connection, argv: string[]): TrackingOptions | null {
  const options = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] as string[] };
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j].toLowerCase();
    const more = j < argv.length - 1;
    if (option === 'redirect' && more) {
      if (options.redirect !== 0) return errorReply(c, TRACKING_SINGLE_REDIRECT);
      const id = parseInt64(argv[++j]);
      if (id === null) return errorReply(c, NOT_INTEGER);
      // The client must exist now, though it may go later (the redirection then breaks).
      if (id <= 0 || !c.broker.connections.has(Number(id))) return errorReply(c, TRACKING_NO_REDIRECT_CLIENT);
      options.redirect = Number(id);
    } else if (option === 'bcast') options.bcast = true;
    else if (option === 'optin') options.optin = true;
    else if (option === 'optout') options.optout = true;
    else if (option === 'noloop') options.noloop = true;
    else if (option === 'prefix' && more) options.prefixes.push(argv[++j]);
    else return errorReply(c, SYNTAX);
  }
  return options;
}

function errorReply(c: Connection, error: string): null {
  c.reply.error(error);
  return null;
}

/** One of two prefixes starts the other: both would invalidate the same keys. */
function overlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** checkPrefixCollisionsOrReply: against the client's prefixes (in their sorted order), then among the given ones. */
function prefixCollisionError(current: ClientTracking | null, prefixes: readonly string[]): string | null {
  const existing = [...(current?.prefixes ?? [])].sort();
  for (let i = 0; i < prefixes.length; i++) {
    const clash = existing.find((p) => overlap(p, prefixes[i]));
    if (clash !== undefined) return TRACKING_PREFIX_OVERLAPS_EXISTING(prefixes[i], clash);
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(prefixes[i], prefixes[j])) return TRACKING_PREFIX_OVERLAPS_GIVEN(prefixes[i], prefixes[j]);
    }
  }
  return null;
}

/** Why the options cannot turn tracking on for `c` now, or null. */
function enableError(c: Connection, o: TrackingOptions): string | null {
  const t = c.tracking;
  if (!o.bcast && o.prefixes.length > 0) return TRACKING_PREFIX_WITHOUT_BCAST;
  if (t !== null && t.bcast !== o.bcast) return TRACKING_BCAST_SWITCH;
  if (o.bcast && (o.optin || o.optout)) return TRACKING_OPTIN_OPTOUT_WITH_BCAST;
  if (o.optin && o.optout) return TRACKING_OPTIN_AND_OPTOUT;
  if (t !== null && ((o.optin && t.optout) || (o.optout && t.optin))) return TRACKING_OPTIN_OPTOUT_SWITCH;
  return o.bcast ? prefixCollisionError(t, o.prefixes) : null;
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]. */
function clientTracking(c: Connection, argv: string[]): void {
  const options = parseTrackingOptionsOrReply(c, argv);
  if (options === null) return;
  const mode = argv[2].toLowerCase();
  const tracking = c.engine.tracking;
  if (mode === 'on') {
    const error = enableError(c, options);
    if (error !== null) return c.reply.error(error);
    tracking.enable(c, options);
  } else if (mode === 'off') {
    tracking.disable(c);
  } else {
    return c.reply.error(SYNTAX);
  }
  c.reply.ok();
}

/** CLIENT CACHING YES|NO: the next command's keys are (OPTIN) or are not (OPTOUT) remembered. */
function clientCaching(c: Connection, argv: string[]): void {
  const t = c.tracking;
  if (t === null) return c.reply.error(CACHING_WITHOUT_TRACKING);
  const value = argv[2].toLowerCase();
  if (value === 'yes') {
    if (!t.optin) return c.reply.error(CACHING_YES_WITHOUT_OPTIN);
  } else if (value === 'no') {
    if (!t.optout) return c.reply.error(CACHING_NO_WITHOUT_OPTOUT);
  } else {
    return c.reply.error(SYNTAX);
  }
  t.caching = true;
  c.reply.ok();
}

/**
 * After each command line: CLIENT CACHING applies to the next command only, or to the
 * next transaction (redis-server's resetClient), and CLIENT subcommands leave it.
 */
export function afterTrackedCommand(c: Connection): void {
  const t = c.tracking;
  if (t === null || !t.caching || c.multi !== null) return;
  if (c.lastCommand !== 'client' && !c.lastCommand.startsWith('client|')) t.caching = false;
}

function trackingFlags(t: ClientTracking | null): string[] {
  if (t === null) return ['off'];
  const flags = ['on'];
  if (t.bcast) flags.push('bcast');
  if (t.optin) flags.push('optin');
  if (t.optin && t.caching) flags.push('caching-yes');
  if (t.optout) flags.push('optout');
  if (t.optout && t.caching) flags.push('caching-no');
  if (t.noloop) flags.push('noloop');
  if (t.brokenRedirect) flags.push('broken_redirect');
  return flags;
}

function clientTrackingInfo(c: Connection): void {
  const t = c.tracking;
  c.reply.map(3);
  c.reply.bulk('flags');
  const flags = trackingFlags(t);
  c.reply.set(flags.length);
  for (const flag of flags) c.reply.bulk(flag);
  c.reply.bulk('redirect');
  c.reply.int(t === null ? -1 : t.redirect);
  c.reply.bulk('prefixes');
  c.reply.bulks([...(t?.prefixes ?? [])].sort());
}

/** CLIENT GETREDIR: the id invalidations go to, 0 for the client itself, -1 when not tracking. */
function clientGetRedir(c: Connection): void {
  c.reply.int(c.tracking === null ? -1 : c.tracking.redirect);
}

export const trackingCommands: readonly CommandDef<Connection>[] = [
  { name: 'client|tracking', handler: clientTracking },
  { name: 'client|caching', handler: clientCaching },
  { name: 'client|trackinginfo', handler: clientTrackingInfo },
  { name: 'client|getredir', handler: clientGetRedir },
];

/**
 * Connects the engine's tracking to the process: client ids are connections, key
 * positions come from the key specs (as COMMAND GETKEYS), BCAST messages go out at the
 * end of the turn, and `tracking-table-max-keys` is kept current.
 */
export function connectTracking(engine: Engine, config: Config, connections: ReadonlyMap<number, Connection>, guard: (fn: () => void) => () => void): void {
  const tracking = engine.tracking;
  tracking.clientById = (id) => connections.get(id);
  tracking.keysOf = (command, argv) => commandKeys(command, argv).map((key) => key.pos);
  const broadcast = guard(() => tracking.broadcast());
  tracking.requestBroadcast = () => setImmediate(broadcast);
  tracking.maxKeys = config.int('tracking-table-max-keys');
  config.onChange('tracking-table-max-keys', (_, value) => {
    tracking.maxKeys = Number(value);
  });
}
