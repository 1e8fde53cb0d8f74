/**
 * DUMP payloads (redis-server's cluster.c: createDumpPayload, verifyDumpPayload): a
 * value's RDB type and encoding, then the RDB version as 2 bytes little-endian, then
 * the CRC-64 of everything before it, 8 bytes little-endian. The same encodings as
 * snapshots (codec.ts), so a payload moves between the broker and redis-server.
 */
import type { Value } from '../keyspace.js';
import { ByteWriter, FormatError } from './bytes.js';
import { rdbTypeOf, readValue, writeValue } from './codec.js';
import { Crc64 } from './rdb/crc64.js';
import { RDB_VERSION, RdbInput } from './rdb/encoding.js';
import type { EncodingLimits } from '../types/encoding-limits.js';

const FOOTER = 10;

/** DUMP's payload for `value`. */
export function dumpPayload(value: Value): Buffer {
  const w = new ByteWriter();
  w.u8(rdbTypeOf(value));
  writeValue(w, value);
  w.u8(RDB_VERSION & 0xff);
  w.u8(RDB_VERSION >>> 8);
  const body = w.take();
  return Buffer.concat([body, new Crc64().update(body).bytes()]);
}

/** verifyDumpPayload: a footer, an RDB version this server reads, and a matching CRC-64. */
export function verifyDumpPayload(p: Buffer): boolean {
  if (p.length < FOOTER) return false;
  const footer = p.length - FOOTER;
  const version = p[footer] | (p[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  return new Crc64().update(p, 0, p.length - 8).bytes().equals(p.subarray(p.length - 8));
}

/**
 * The value in a verified payload, or the FormatError that stopped it (redis-server's
 * "Bad data format": an unknown type, a corrupt encoding, an empty collection; an
 * UnsupportedTypeError for a type the engine does not have yet).
 */
export function restoreValue(p: Buffer, limits: EncodingLimits): Value | FormatError {
  // The whole payload, footer included, as redis-server reads it: a value cut short
  // reads into the footer rather than failing.
  const r = new RdbInput(p);
  r.limits = limits;
  try {
    const value = readValue(r, r.u8(), 0);
    return value ?? new FormatError('empty collection', 0);
  } catch (err) {
    if (err instanceof FormatError) return err;
    throw err;
  }
}
