/**
 * DUMP and RESTORE (redis-server's cluster.c): a key's value as an RDB payload
 * (engine/persist/dump.ts) and back, with REPLACE, ABSTTL, IDLETIME and FREQ, the
 * payload's RDB version and CRC-64 checked as verifyDumpPayload does, and its error
 * texts. RESTORE with a relative TTL goes out as `RESTORE key <absolute ms> ... ABSTTL`,
 * one already expired as `DEL` (when it replaced a key) or nothing.
 *
 * Where this differs from redis-server: a payload of a type the engine does not have
 * yet (hash, set, sorted set, module) is refused with "Bad data format" and the type
 * named, where redis-server would restore it.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import {
  BAD_DATA_FORMAT,
  BUSYKEY,
  DUMP_PAYLOAD_INVALID,
  INVALID_FREQ,
  INVALID_IDLETIME,
  INVALID_TTL,
  NOT_INTEGER,
  SYNTAX,
  UNSUPPORTED_DATA_TYPE,
} from '../errors.js';
import { lfuWord } from '../lfu.js';
import { notify, NotifyFlag } from '../notify.js';
import { dumpPayload, restoreValue, verifyDumpPayload } from '../persist/dump.js';
import { UnsupportedTypeError } from '../persist/rdb/encoding.js';
import { parseInt64 } from '../util/int64.js';

function dump(c: Client, argv: string[]): void {
  const value = c.db.lookupRead(argv[1]);
  if (value === undefined) return c.reply.nil();
  c.reply.bulkBytes(dumpPayload(value));
}

interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  /** Seconds idle, or -1. */
  idle: number;
  /** LFU counter, or -1. */
  freq: number;
}

/** RESTORE's options after the payload; null when an error was replied. */
function parseRestoreOptionsOrReply(c: Client, argv: string[]): RestoreOptions | null {
  const o: RestoreOptions = { replace: false, absttl: false, idle: -1, freq: -1 };
  for (let j = 4; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = j + 1 < argv.length;
    if (opt === 'replace') {
      o.replace = true;
    } else if (opt === 'absttl') {
      o.absttl = true;
    } else if (opt === 'idletime' && more && o.freq === -1) {
      const v = parseInt64(argv[++j]);
      if (v === null) return c.reply.error(NOT_INTEGER), null;
      if (v < 0) return c.reply.error(INVALID_IDLETIME), null;
      o.idle = Number(v);
    } else if (opt === 'freq' && more && o.idle === -1) {
      const v = parseInt64(argv[++j]);
      if (v === null) return c.reply.error(NOT_INTEGER), null;
      if (v < 0 || v > 255) return c.reply.error(INVALID_FREQ), null;
      o.freq = Number(v);
    } else {
      return c.reply.error(SYNTAX), null;
    }
  }
  return o;
}

function restore(c: Client, argv: string[]): void {
  const o = parseRestoreOptionsOrReply(c, argv);
  if (o === null) return;
  const db = c.db;
  const key = argv[1];
  if (!o.replace && db.lookupWrite(key) !== undefined) return c.reply.error(BUSYKEY);
  const parsedTtl = parseInt64(argv[2]);
  if (parsedTtl === null) return c.reply.error(NOT_INTEGER);
  if (parsedTtl < 0) return c.reply.error(INVALID_TTL);
  const payload = Buffer.from(argv[3], 'latin1');
  if (!verifyDumpPayload(payload)) return c.reply.error(DUMP_PAYLOAD_INVALID);
  const value = restoreValue(payload, c.engine.settings);
  if (value instanceof UnsupportedTypeError) return c.reply.error(UNSUPPORTED_DATA_TYPE(value.message));
  if (value instanceof Error) return c.reply.error(BAD_DATA_FORMAT);

  const engine = c.engine;
  const deleted = o.replace && db.delete(key);
  let ttl = Number(parsedTtl);
  if (ttl !== 0 && !o.absttl) ttl += engine.now();
  if (ttl !== 0 && ttl <= engine.now()) {
    if (deleted) {
      engine.rewriteEffect(['DEL', key]);
      engine.keyChanged(db, key);
      notify(engine, NotifyFlag.Generic, 'del', key, db.id);
    } else {
      engine.preventPropagation();
    }
    return c.reply.ok();
  }
  const e = db.set(key, value);
  if (ttl !== 0) {
    db.setExpire(e, ttl);
    if (!o.absttl) engine.rewriteEffect([...argv.slice(0, 2), String(ttl), ...argv.slice(3), 'ABSTTL']);
  }
  if (engine.lfuMode) {
    if (o.freq >= 0) e.lru = lfuWord(engine.now(), o.freq);
  } else if (o.idle >= 0) {
    e.lru = engine.lruClock - o.idle;
  }
  engine.keyChanged(db, key);
  notify(engine, NotifyFlag.Generic, 'restore', key, db.id);
  c.reply.ok();
}

export const dumpCommands: readonly CommandDef<Client>[] = [
  { name: 'dump', handler: dump },
  { name: 'restore', handler: restore },
];
