/**
 * Reading the broker's former snapshot format, "BRKSNAP" version 1, so that files
 * written by earlier versions still load (once: they are saved again as RDB). Never
 * written any more. Integers as in bytes.ts (varuint LEB128, u64/i64/u32
 * little-endian; str = varuint length + latin1 bytes):
 *
 *   header   "BRKSNAP" 0x01, u64 creation time (ms since the epoch)
 *   records  0xFE varuint db       the keys that follow belong to db
 *            0xFC u64 ms           the next key expires at this time
 *            tag str key <value>   one key: tag 0 a string (str value, however long), 1 a list
 *                                  (varuint length, the elements), 2 a stream
 *   trailer  0xFF u64 keys u32 crc the number of keys, then the CRC-32 of every
 *                                  byte before the crc field
 *
 * A stream record: varuint length, u64 pairs for the last, first and max deleted IDs,
 * u64 entries added, varuint node count, the nodes as StreamNode.parts() (master ID,
 * master fields, size, live, monotonic, lpFixed, the meta words raw, the payload),
 * then u8 has-groups and the groups (name, last ID, i64 entries read, consumers with
 * i64 seen time and their pending entries: ID, i64 delivery time, u64 count).
 */
import { crc32 } from 'node:zlib';
import type { Db, Value } from '../keyspace.js';
import { List } from '../types/list.js';
import { Stream } from '../types/stream.js';
import { NODE_META_WORDS, StreamNode } from '../types/stream-node.js';
import { StreamId, type U64 } from '../types/stream-id.js';
import { ConsumerGroup, Nack } from '../types/stream-group.js';
import { ByteReader, FormatError } from './bytes.js';
import { LARGE_VALUE, LargeString, type StringValue } from '../types/large-string.js';
import type { SnapshotLoad, SnapshotLoadOptions } from './snapshot.js';

const BRKSNAP_MAGIC = 'BRKSNAP';
const VERSION = 1;
const OP_SELECTDB = 0xfe;
const OP_EXPIRE = 0xfc;
const OP_EOF = 0xff;
const TAG_STRING = 0;
const TAG_LIST = 1;
const TAG_STREAM = 2;

// Stream nodes were saved as raw 32-bit words in the host's order: little-endian only.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('snapshots need a little-endian host');

/** True when `buf` starts like a BRKSNAP file. */
export function isBrksnap(buf: Buffer): boolean {
  return buf.length >= BRKSNAP_MAGIC.length && buf.latin1Slice(0, BRKSNAP_MAGIC.length) === BRKSNAP_MAGIC;
}

function readId(r: ByteReader): StreamId {
  return new StreamId(r.u64(), r.u64());
}

function readList(r: ByteReader): List {
  const list = new List();
  for (let n = r.varuint(); n > 0; n--) list.push(r.str(), false);
  return list;
}

function readNode(r: ByteReader): StreamNode {
  const masterMs = r.u64();
  const masterSeq = r.u64();
  const masterFields: string[] = [];
  for (let f = r.varuint(); f > 0; f--) masterFields.push(r.str());
  const size = r.varuint();
  const live = r.varuint();
  const monotonic = r.u8() === 1;
  const lpFixed = r.varuint();
  if (size === 0 || live > size) throw new FormatError('invalid stream node', r.pos);
  const meta = new Uint32Array(size * NODE_META_WORDS);
  r.bytesInto(new Uint8Array(meta.buffer));
  const data = r.str();
  return StreamNode.fromParts({ masterFields, masterMs, masterSeq, meta, data, size, live, monotonic, lpFixed });
}

function readStream(r: ByteReader): Stream {
  const s = new Stream();
  s.length = r.varuint();
  s.lastId = readId(r);
  s.firstId = readId(r);
  s.maxDeletedId = readId(r);
  s.entriesAdded = r.u64();
  const nodes: StreamNode[] = [];
  let live = 0;
  for (let n = r.varuint(); n > 0; n--) {
    const node = readNode(r);
    nodes.push(node);
    live += node.live;
  }
  if (live !== s.length) throw new FormatError('stream length does not match its nodes', r.pos);
  s.adoptNodes(nodes);
  if (r.u8() === 0) return s;
  s.groups = new Map();
  for (let g = r.varuint(); g > 0; g--) {
    const name = r.str();
    const group = new ConsumerGroup(readId(r), r.i64());
    for (let c = r.varuint(); c > 0; c--) {
      const consumer = group.createConsumer(r.str(), Number(r.i64()));
      for (let p = r.varuint(); p > 0; p--) {
        const nack = new Nack(readId(r), consumer, Number(r.i64()), r.u64());
        if (!group.pel.add(nack)) throw new FormatError('an entry pending twice in a group', r.pos);
        consumer.pel.add(nack);
      }
    }
    s.groups.set(name, group);
  }
  return s;
}

/** A string record's value: a JS string, or past LARGE_VALUE a LargeString (copied out of the file's buffer). */
function readStringValue(r: ByteReader): StringValue {
  const bytes = r.view(r.varuint());
  return bytes.length > LARGE_VALUE ? LargeString.copyOf(bytes) : bytes.latin1Slice();
}

function readValue(r: ByteReader, tag: number, at: number): Value {
  switch (tag) {
    case TAG_STRING:
      return readStringValue(r);
    case TAG_LIST:
      return readList(r);
    case TAG_STREAM:
      return readStream(r);
    default:
      throw new FormatError(`unknown record type ${tag}`, at);
  }
}

/** Loads a BRKSNAP file in steps, as snapshot.ts's `snapshotLoadSteps` (which calls it). */
export function* brksnapLoadSteps(dbs: readonly Db[], buf: Buffer, options: SnapshotLoadOptions): Generator<number, SnapshotLoad, number> {
  const r = new ByteReader(buf, BRKSNAP_MAGIC.length);
  const version = r.u8();
  if (version !== VERSION) throw new FormatError(`unsupported snapshot version ${version}`, r.pos - 1);
  r.u64();
  let db: Db = dbs[0];
  let expireAt: U64 = 0;
  let keys = 0;
  let expired = 0;
  let budget = 0;
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    if (op === OP_EOF) {
      const count = r.u64();
      const crcAt = r.pos;
      const expected = r.u32();
      if (crc32(buf.subarray(0, crcAt)) !== expected) throw new FormatError('checksum mismatch', crcAt);
      if (count !== keys + expired) throw new FormatError('key count mismatch', at);
      return { keys, expired, end: r.pos };
    }
    if (op === OP_SELECTDB) {
      const index = r.varuint();
      if (index >= dbs.length) throw new FormatError(`db index ${index} out of range`, at);
      db = dbs[index];
      continue;
    }
    if (op === OP_EXPIRE) {
      expireAt = r.u64();
      continue;
    }
    const key = r.str();
    const value = readValue(r, op, at);
    if (expireAt !== 0 && expireAt < options.now) {
      expired++;
    } else {
      const e = db.load(key, value);
      if (expireAt !== 0) db.setExpire(e, expireAt);
      keys++;
    }
    expireAt = 0;
    if (--budget <= 0) budget = yield r.pos;
  }
}
