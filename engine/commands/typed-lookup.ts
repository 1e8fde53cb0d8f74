/**
 * Key lookups for a command that works on one type (redis-server's lookupKey*OrReply
 * followed by checkType), shared by the collection families (hashes, sets, ...).
 */
import type { Client } from '../client.js';
import type { Db } from '../keyspace.js';
import { WRONGTYPE } from '../errors.js';

/** A data type's class, whatever its constructor takes. */
type Class<T> = abstract new (...args: never[]) => T;

/**
 * The value at `key` for a command that changes it (lookupKeyWrite): undefined when
 * the key is missing, null after a WRONGTYPE reply.
 */
export function writableOrReply<T>(c: Client, db: Db, key: string, type: Class<T>): T | undefined | null {
  const v = db.lookupWrite(key);
  if (v === undefined || v instanceof type) return v;
  c.reply.error(WRONGTYPE);
  return null;
}

/** The same for a command that reads it (lookupKeyRead: counts keyspace hits and misses). */
export function readableOrReply<T>(c: Client, key: string, type: Class<T>): T | undefined | null {
  const v = c.db.lookupRead(key);
  if (v === undefined || v instanceof type) return v;
  c.reply.error(WRONGTYPE);
  return null;
}
