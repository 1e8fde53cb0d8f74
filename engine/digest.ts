/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: a port of redis-server 7.0's
 * `computeDatasetDigest` / `xorObjectDigest` (debug.c), so that the same dataset
 * gives the same 40 hex digits here and on the reference server. Tests use it to
 * compare whole datasets (effects replay, persistence, replication).
 *
 * The two primitives, on a 20-byte digest:
 * - xor(bytes): digest ^= SHA1(bytes). Order-insensitive: for unordered things.
 * - mix(bytes): digest = SHA1(digest ^ SHA1(bytes)). Order-sensitive.
 *
 * Dataset: start from 20 zero bytes; for each non-empty db j, mix(htonl(j)); then for
 * every key (logically expired ones included, as they are still stored) build a key
 * digest from zero: mix(key), mix(htonl(type number)), the value's recipe, and
 * xor("!!expire!!") if the key has a TTL; xor that key digest into the result.
 *
 * Value recipes (a DataObject implements `digest(d)` with the `ValueDigest` below):
 * - string: mix(value).
 * - list:   mix(element) for each element, head to tail.
 * - set:    xor(member) for each member.
 * - zset:   xorPair(member, score) for each member, the score formatted as
 *           redis-server 7.0 prints it in the digest, `%.17g` (protocol/reply.ts
 *           `formatDouble`); verify against redis-server when adding the type.
 * - hash:   xorPair(field, value) for each field.
 * - stream: for each entry in ID order: mix("<ms>.<seq>"), then mix(field) and
 *           mix(value) for each of its fields. Consumer groups are not digested.
 */
import { hash } from 'node:crypto';
import { stringBytes } from '../protocol/packed-string.js';
import type { Engine } from './engine.js';
import type { Db, Entry, TypeName } from './keyspace.js';

/** What a value's `digest` method writes into. */
export interface ValueDigest {
  /** Order-sensitive: digest = SHA1(digest xor SHA1(bytes)) (`mixDigest`). */
  mix(bytes: string): void;
  /** `mix` of bytes held in a buffer (a long string value). */
  mixBytes(bytes: Uint8Array): void;
  /** Order-insensitive: digest ^= SHA1(bytes) (`xorDigest`). */
  xor(bytes: string): void;
  /**
   * An unordered element of two parts (hash field and value, zset member and
   * score): mix(a) then mix(b) into a fresh zero digest, xored into this one.
   */
  xorPair(a: string, b: string): void;
}

/** redis-server's OBJ_* type numbers, mixed into every key's digest. */
const TYPE_NUMBER: Record<TypeName, number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 };

const EXPIRE_MARK = '!!expire!!';
const SIZE = 20;

/** One-shot hashing: about twice as fast as createHash per call, which a digest of millions of members feels. */
function sha1(data: Uint8Array): Buffer {
  return hash('sha1', data, 'buffer');
}

class Sha1Digest implements ValueDigest {
  readonly bytes = Buffer.alloc(SIZE);

  mix(bytes: string): void {
    this.mixData(stringBytes(bytes));
  }

  mixBytes(bytes: Uint8Array): void {
    this.mixData(bytes);
  }

  xor(bytes: string): void {
    this.xorData(stringBytes(bytes));
  }

  xorPair(a: string, b: string): void {
    const element = new Sha1Digest();
    element.mix(a);
    element.mix(b);
    this.xorData(element.bytes);
  }

  /** `mixDigest`: xorData, then the digest becomes the SHA1 of itself. */
  mixData(data: Uint8Array): void {
    this.xorData(data);
    sha1(this.bytes).copy(this.bytes);
  }

  /** `xorDigest`: XORs the SHA1 of `data` into the digest. */
  xorData(data: Uint8Array): void {
    const hash = sha1(data);
    for (let i = 0; i < SIZE; i++) this.bytes[i] ^= hash[i];
  }

  hex(): string {
    return this.bytes.toString('hex');
  }
}

/** A 32-bit number in network byte order, as `htonl` produces it. */
function htonl(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** xorObjectDigest: the value's type, contents and TTL mark, mixed into `d`. */
function digestValue(d: Sha1Digest, e: Entry): void {
  const v = e.value;
  if (typeof v === 'string') {
    d.mixData(htonl(TYPE_NUMBER.string));
    d.mix(v);
  } else {
    d.mixData(htonl(TYPE_NUMBER[v.type]));
    v.digest(d);
  }
  if (e.expireAt !== 0) d.xor(EXPIRE_MARK);
}

/** DEBUG DIGEST: the whole dataset's digest as 40 hex digits (all zeros when empty). */
export function datasetDigest(engine: Engine): string {
  const final = new Sha1Digest();
  for (const db of engine.dbs) {
    if (db.size === 0) continue;
    final.mixData(htonl(db.id));
    for (const e of db.entries()) {
      const d = new Sha1Digest();
      d.mix(e.key);
      digestValue(d, e);
      final.xorData(d.bytes);
    }
  }
  return final.hex();
}

/**
 * DEBUG DIGEST-VALUE for one key: the value's digest without the key name, all
 * zeros for a missing key. Like redis-server it sees logically expired keys.
 */
export function valueDigest(db: Db, key: string): string {
  const d = new Sha1Digest();
  const e = db.peek(key);
  if (e !== undefined) digestValue(d, e);
  return d.hex();
}
