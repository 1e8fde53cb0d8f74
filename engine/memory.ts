/**
 * The engine's own accounting of the memory its dataset takes: an estimate, per key,
 * of the bytes its entry, key, value and expiry occupy on the V8 heap (and, for long
 * strings and stream IDs, in the ArrayBuffers beside it), kept as a running total per
 * db. INFO memory's used_memory, MEMORY USAGE/STATS and maxmemory all read it
 * (ARCHITECTURE.md, "Memory accounting and eviction").
 *
 * How it stays cheap: each type keeps a running count of its payload bytes (List,
 * DenseTable, ZSet and Stream's `payloadBytes`, updated where elements come and go),
 * so a value's estimate is O(1) (O(groups + consumers) for a stream). A key is
 * measured again after a command that looked it up to write (`Db.lookupWrite`,
 * `Db.set`), or that read a collection (a stream's PEL grows under XREADGROUP, a read):
 * the Db notes the entry (`Engine.noteTouched`) and the engine settles the notes when
 * the command ends (`Engine.settleMemory`). A GET of a string notes nothing.
 *
 * Where it differs from redis-server: redis-server reads its allocator, so its figure
 * is exact and includes fragmentation; this one is the sum of per-object costs of V8's
 * layout on 64-bit Node without pointer compression (object headers of 24 bytes, 8 per
 * field or array slot, strings of 16 bytes plus one per char rounded up to 8, hash
 * table entries with their share of buckets), measured against the heap's growth
 * (test/server/memory-usage.test.ts states the factor). It does not count garbage not
 * yet collected, nor the heap the process needs before any data (used_memory_startup).
 */
import type { Entry, Value } from './keyspace.js';
import { List } from './types/list.js';
import { Hash } from './types/hash.js';
import { SetValue } from './types/set.js';
import { ZSet } from './types/zset.js';
import { Stream } from './types/stream.js';
import { LargeString } from './types/large-string.js';

/** A sequential one-byte string's header; its chars follow, the whole rounded up to 8 bytes (4 on average). */
const STRING_HEADER = 16 + 4;
/** One slot of a JS array (8 bytes) with its share of the growth slack. */
const ARRAY_SLOT = 10;
/** One entry of a JS Map: key, value and chain (24 bytes) and its share of the buckets at a typical load. */
const MAP_ENTRY = 40;
/** A small JS object: header (map, properties, elements) plus a handful of fields. */
const SMALL_OBJECT = 64;

/**
 * A key's `Entry` (nine fields), its Map entry in the db and its SCAN slot, plus what
 * measuring showed beyond those (the Map's table grows by doubling: 60 bytes a key on average).
 */
const ENTRY_OVERHEAD = 24 + 9 * 8 + MAP_ENTRY + ARRAY_SLOT + 60;
/** A key with an expiry: its slot in the volatile array and the boxed time. */
const EXPIRE_OVERHEAD = ARRAY_SLOT + 16;

/** A list element: its chunk slot and its string; a chunk (128 elements) and the list itself. */
const LIST_ELEMENT = 8 + STRING_HEADER;
const LIST_CHUNK = SMALL_OBJECT + 16 + ARRAY_SLOT;
const LIST_CHUNK_SIZE = 128;
/** The list, its run of chunks, and a first chunk's array grown for 16 elements. */
const LIST_FIXED = 3 * SMALL_OBJECT + 16 + 16 * 8;

/** A hash field or set member: its position slot(s) and its string(s), and its Map entry once the table has one. */
const TABLE_MEMBER = ARRAY_SLOT + STRING_HEADER;
const TABLE_VALUE = ARRAY_SLOT + STRING_HEADER;
/** A packed hash (engine/types/hash.ts): the hash, its own PackedStrings; the string follows. */
const HASH_PACKED_FIXED = SMALL_OBJECT;
/** The value, its table, and a first chunk's arrays (grown for 17 members). */
const TABLE_FIXED = 2 * SMALL_OBJECT + 2 * (48 + 17 * 8);

/** A sorted set in the listpack encoding (engine/types/zset.ts): the set, its own PackedStrings; the string follows. */
const ZSET_SMALL_FIXED = SMALL_OBJECT;
/**
 * A skiplist member besides its name's bytes: its node's block in the skiplist's buffer
 * (32 to 40 bytes, the buffer grown by half), its slots in the members and node ids by
 * position, its pair in the member index (engine/types/member-index.ts: 8 bytes a slot,
 * the table between 3/8 and 3/4 full) and its string header. Checked with
 * test/bench/collection-memory.js big-zset (1,000,000 members): this accounting gives
 * 1.02x the heap the set really takes.
 */
const ZSET_MEMBER = 110;
/** The set, its large parts, the Map; the skiplist's buffer (its head's block, room for 8 nodes) and its two views. */
const ZSET_FIXED = 4 * SMALL_OBJECT + 600 + 3 * 96;

/** A stream node: the node object, its typed array object and ArrayBuffer, its master fields array, its slot. */
const STREAM_NODE = 24 + 12 * 8 + 72 + 56 + 32 + ARRAY_SLOT;
const STREAM_FIXED = 24 + 14 * 8 + 4 * 40;
/** A consumer group: the group, two maps and its B+ tree; a consumer: object, Map entry and PEL tree. */
const STREAM_GROUP = 3 * SMALL_OBJECT + MAP_ENTRY + 2 * 200 + 64;
const STREAM_CONSUMER = SMALL_OBJECT + MAP_ENTRY + 200 + STRING_HEADER;
/** A pending entry: the Nack (its own ID), its two numbers' boxes, and its slots in the group's and its consumer's B+ trees. */
const STREAM_NACK = 24 + 5 * 8 + 2 * 16 + 2 * 2 * 8 + 16;

/** Any other value (a type this module does not know yet): a fixed guess. */
const UNKNOWN_VALUE = 256;

/** A string's bytes on the heap: header and chars. */
function stringBytes(length: number): number {
  return STRING_HEADER + length;
}

function listBytes(l: List): number {
  return LIST_FIXED + Math.ceil(l.length / LIST_CHUNK_SIZE) * LIST_CHUNK + l.length * LIST_ELEMENT + l.payloadBytes;
}

function hashBytes(h: Hash): number {
  if (h.isPacked) return HASH_PACKED_FIXED + stringBytes(h.packedLength);
  const t = h.table;
  return TABLE_FIXED + t.size * (TABLE_MEMBER + TABLE_VALUE + (t.indexed ? MAP_ENTRY : 0)) + t.payloadBytes;
}

function setBytes(s: SetValue): number {
  const t = s.table;
  return TABLE_FIXED + t.size * (TABLE_MEMBER + (t.indexed ? MAP_ENTRY : 0)) + t.payloadBytes;
}

function zsetBytes(z: ZSet): number {
  if (!z.isSkiplist) return ZSET_SMALL_FIXED + stringBytes(z.packedLength);
  return ZSET_FIXED + z.size * ZSET_MEMBER + z.payloadBytes;
}

function streamBytes(s: Stream): number {
  let bytes = STREAM_FIXED + s.nodeCount * STREAM_NODE + s.payloadBytes;
  if (s.groups !== null) {
    for (const [name, group] of s.groups) {
      bytes += STREAM_GROUP + stringBytes(name.length) + group.pel.size * STREAM_NACK;
      for (const consumer of group.consumers.values()) bytes += STREAM_CONSUMER + consumer.name.length;
    }
  }
  return bytes;
}

/** The estimated bytes of a value. */
function valueBytes(v: Value): number {
  if (typeof v === 'string') return stringBytes(v.length);
  if (v instanceof Stream) return streamBytes(v);
  if (v instanceof List) return listBytes(v);
  if (v instanceof Hash) return hashBytes(v);
  if (v instanceof SetValue) return setBytes(v);
  if (v instanceof ZSet) return zsetBytes(v);
  if (v instanceof LargeString) return SMALL_OBJECT + 96 + v.capacity;
  return UNKNOWN_VALUE;
}

/** The estimated bytes of a key: its entry, name, value and expiry (what MEMORY USAGE reports). */
export function entryBytes(e: Entry): number {
  return ENTRY_OVERHEAD + stringBytes(e.key.length) + valueBytes(e.value) + (e.expireAt !== 0 ? EXPIRE_OVERHEAD : 0);
}

/** The fixed cost of a key (MEMORY STATS overhead.hashtable.main, per key). */
export const KEY_OVERHEAD = ENTRY_OVERHEAD;
/** The cost of an expiry (MEMORY STATS overhead.hashtable.expires, per key with one). */
export const EXPIRY_OVERHEAD = EXPIRE_OVERHEAD;
