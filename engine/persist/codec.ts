/**
 * How each data type is written into and read from a snapshot (snapshot.ts has the
 * file layout, a Redis RDB file). One `TypeCodec` per type, writing the RDB encoding
 * redis-server 7.0 writes for it (engine/persist/rdb/); `readValue` reads every
 * encoding a 7.0 file may hold for the types the engine has. A new type adds its codec
 * to `CODECS` and its encodings to `readValue`.
 *
 * Each codec also gives the commands that rebuild a value (`commands`), for an AOF
 * base written as RESP (`aof-use-rdb-preamble no`), as redis-server's rewrite
 * functions do: they lose what no command can set (stream node layout, consumers'
 * seen times).
 */
import type { DataObject, TypeName, Value } from '../keyspace.js';
import { List, thawList } from '../types/list.js';
import { Stream, thaw } from '../types/stream.js';
import { StreamId } from '../types/stream-id.js';
import { byName, type ConsumerGroup } from '../types/stream-group.js';
import { ByteWriter } from './bytes.js';
import { RdbType, UNSUPPORTED_TYPES, UnsupportedTypeError, writeBlob, writeString, type RdbInput } from './rdb/encoding.js';
import { LARGE_VALUE, LargeString, type StringValue } from '../types/large-string.js';
import { LIST_RDB_TYPE, ListRecordWriter, readList } from './rdb/list.js';
import { readStream, STREAM_RDB_TYPE, StreamRecordWriter, writeGroups } from './rdb/stream.js';
import { Hash } from '../types/hash.js';
import { SetValue } from '../types/set.js';
import { hashRdbType, readHash, readSet, setRdbType, TableRecordWriter, writeSmall } from './rdb/hash-set.js';
import { ZSet } from '../types/zset.js';
import { readZset, writeZset, ZSET_PART, ZsetRecordWriter, zsetRdbType } from './rdb/zset.js';
import { formatDouble } from '../../protocol/reply.js';

export interface TypeCodec {
  readonly type: TypeName;
  /** The RDB value type written for this value (a type's encodings may differ). */
  rdbType(value: DataObject): RdbType;
  /** Writes the value's RDB encoding (after its type byte and key). */
  write(w: ByteWriter, value: DataObject): void;
  /** The commands that rebuild `value` under `key`, as redis-server's AOF rewrite emits them. */
  commands(key: string, value: DataObject, emit: (argv: string[]) => void): void;
  /**
   * For a snapshot written while clients keep writing: when `value` has more than
   * `parts` parts (list chunks, stream nodes), a frozen view of it to write a few parts
   * at a time (the value shares its parts with the view until `thaw`); else null, and
   * the value is written at once.
   */
  freeze(value: DataObject, parts: number): RecordInProgress | null;
  /**
   * True when writing the value may keep bytes in it (a stream's nodes keep their
   * encodings): the key is measured again once written (engine/memory.ts).
   */
  readonly keepsEncoding?: boolean;
}

/** A value's record written from a frozen view, a few parts at a time (snapshot.ts). */
export interface RecordInProgress {
  /** Writes up to `parts` more parts; true once the whole record is written. */
  step(w: ByteWriter, parts: number): boolean;
  /** The value's parts are its own again. */
  thaw(): void;
}

/** Elements per command when a collection is rebuilt (redis-server's AOF_REWRITE_ITEMS_PER_CMD). */
const ITEMS_PER_COMMAND = 64;

const listCodec: TypeCodec = {
  type: 'list',
  rdbType: () => LIST_RDB_TYPE,
  write(w, value) {
    new ListRecordWriter((value as List).view()).step(w, Infinity);
  },
  freeze(value, parts) {
    const list = value as List;
    if (list.chunkCount <= parts) return null;
    const view = list.freeze();
    const record = new ListRecordWriter(view);
    return { step: (w, n) => record.step(w, n), thaw: () => thawList(view) };
  },
  commands(key, value, emit) {
    let argv = ['RPUSH', key];
    for (const element of (value as List).values()) {
      argv.push(element);
      if (argv.length === 2 + ITEMS_PER_COMMAND) {
        emit(argv);
        argv = ['RPUSH', key];
      }
    }
    if (argv.length > 2) emit(argv);
  },
};

const streamCodec: TypeCodec = {
  type: 'stream',
  keepsEncoding: true,
  rdbType: () => STREAM_RDB_TYPE,
  write(w, value) {
    const s = value as Stream;
    new StreamRecordWriter(s.view(), s, (out) => writeGroups(out, s.groups)).step(w, Infinity);
  },
  freeze(value, parts) {
    const s = value as Stream;
    if (s.nodeCount <= parts) return null;
    const view = s.freeze();
    // The groups are written now: serializing them costs less than copying them.
    const groups = new ByteWriter();
    writeGroups(groups, s.groups);
    const record = new StreamRecordWriter(view, s, (out) => out.append(groups));
    return { step: (w, n) => record.step(w, n), thaw: () => thaw(view) };
  },
  commands(key, value, emit) {
    const s = value as Stream;
    const it = s.range(StreamId.MIN, StreamId.MAX, false);
    const pairs: string[] = [];
    let any = false;
    while (it.next()) {
      any = true;
      it.node.readPairs(it.index, pairs);
      emit(['XADD', key, it.node.idString(it.index), ...pairs]);
    }
    // An empty stream: XADD with MAXLEN 0 creates it empty (redis-server's trick).
    if (!any) emit(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
    emit(['XSETID', key, s.lastId.toString(), 'ENTRIESADDED', String(s.entriesAdded), 'MAXDELETEDID', s.maxDeletedId.toString()]);
    for (const [name, group] of byName(s.groups ?? new Map<string, ConsumerGroup>())) {
      emit(['XGROUP', 'CREATE', key, name, group.lastId.toString(), 'ENTRIESREAD', String(group.entriesRead)]);
      for (const consumer of group.sortedConsumers()) {
        if (consumer.pel.size === 0) {
          emit(['XGROUP', 'CREATECONSUMER', key, name, consumer.name]);
          continue;
        }
        for (const nack of consumer.pel.from(StreamId.MIN)) {
          emit(['XCLAIM', key, name, consumer.name, '0', nack.id.toString(), 'TIME', String(nack.deliveryTime), 'RETRYCOUNT', String(nack.deliveryCount), 'JUSTID', 'FORCE']);
        }
      }
    }
  },
};

/** Members of a hashtable hash or set per part of a frozen record: as many as a list chunk holds. */
const TABLE_PART = 128;

/**
 * Hashes and sets: a small encoding (listpack, intset) written at once; a hashtable
 * from a frozen view of its table when larger than `parts` parts (copy-on-write:
 * engine/types/dense-table.ts). `command` rebuilds it 64 members per command, as
 * redis-server's rewriteHashObject and rewriteSetObject do (HMSET, SADD).
 */
function tableCodec<T extends Hash | SetValue>(type: 'hash' | 'set', rdbType: (v: T) => RdbType, command: string): TypeCodec {
  const isSmall = (v: T): boolean => (v instanceof Hash ? !v.isHashtable : v.isIntset);
  return {
    type,
    rdbType: (value) => rdbType(value as T),
    write(w, value) {
      const v = value as T;
      if (isSmall(v)) writeSmall(w, v);
      else new TableRecordWriter(v.table.view(), TABLE_PART).step(w, Infinity);
    },
    freeze(value, parts) {
      const v = value as T;
      if (isSmall(v) || v.size <= parts * TABLE_PART) return null;
      const record = new TableRecordWriter(v.table.freeze(), TABLE_PART);
      return { step: (w, n) => record.step(w, n), thaw: () => v.table.thaw() };
    },
    commands(key, value, emit) {
      const t = (value as T).view();
      let argv = [command, key];
      for (let i = 0; i < t.size; i++) {
        argv.push(t.keyAt(i));
        if (type === 'hash') argv.push(t.valueAt(i));
        if (argv.length - 2 === ITEMS_PER_COMMAND * (type === 'hash' ? 2 : 1)) {
          emit(argv);
          argv = [command, key];
        }
      }
      if (argv.length > 2) emit(argv);
    },
  };
}

/**
 * Sorted sets: a skiplist of more than `parts` parts of ZSET_PART members is copied and
 * written over the next slices (rdb/zset.ts says why a copy); a smaller one at once.
 * Rebuilt with ZADD, 64 members per command (rewriteSortedSetObject).
 */
const zsetCodec: TypeCodec = {
  type: 'zset',
  rdbType: (value) => zsetRdbType(value as ZSet),
  write: (w, value) => writeZset(w, value as ZSet),
  freeze(value, parts) {
    const z = value as ZSet;
    if (!z.isSkiplist || z.size <= parts * ZSET_PART) return null;
    const record = new ZsetRecordWriter(z);
    return { step: (w, n) => record.step(w, n), thaw: () => undefined };
  },
  commands(key, value, emit) {
    const z = value as ZSet;
    let argv = ['ZADD', key];
    z.walk(0, false, (member, score) => {
      argv.push(formatDouble(score), member);
      if (argv.length - 2 === ITEMS_PER_COMMAND * 2) {
        emit(argv);
        argv = ['ZADD', key];
      }
      return true;
    });
    if (argv.length > 2) emit(argv);
  },
};

/** Every non-string type's codec, by type name. */
const CODECS: Partial<Record<TypeName, TypeCodec>> = {
  list: listCodec,
  stream: streamCodec,
  hash: tableCodec<Hash>('hash', hashRdbType, 'HMSET'),
  set: tableCodec<SetValue>('set', setRdbType, 'SADD'),
  zset: zsetCodec,
};

/** The RDB type a value is written with. */
export function rdbTypeOf(value: Value): RdbType {
  if (typeof value === 'string' || value instanceof LargeString) return RdbType.String;
  return codecOf(value).rdbType(value);
}

/** A non-string value's codec. */
export function codecOf(value: DataObject): TypeCodec {
  const codec = CODECS[value.type];
  if (codec === undefined) throw new Error(`no RDB codec for type ${value.type}`);
  return codec;
}

/** Writes a value's encoding (after its type byte and key), all at once. */
export function writeValue(w: ByteWriter, value: Value): void {
  if (typeof value === 'string') writeString(w, value);
  // A short one (a bitmap) may be digits, which rdbSaveRawString writes as an integer.
  else if (value instanceof LargeString && value.length <= 20) writeString(w, value.view().latin1Slice());
  else if (value instanceof LargeString) writeBlob(w, value.view());
  else codecOf(value).write(w, value);
}

/** A string value: a JS string, or past LARGE_VALUE bytes a LargeString (copied out of the file). */
function readStringValue(r: RdbInput): StringValue {
  if (r.atShortString(LARGE_VALUE)) return r.string();
  const bytes = r.blob();
  return bytes.length > LARGE_VALUE ? LargeString.copyOf(bytes) : bytes.latin1Slice();
}

/**
 * Reads a value of RDB type `type` (the type byte already read); null for a key
 * redis-server would skip as empty. A type the engine lacks is refused by name.
 */
export function readValue(r: RdbInput, type: number, at: number): Value | null {
  switch (type) {
    case RdbType.String:
      return readStringValue(r);
    case RdbType.List:
    case RdbType.ListZiplist:
    case RdbType.ListQuicklist:
    case RdbType.ListQuicklist2:
      return readList(r, type);
    case RdbType.StreamListpacks:
    case RdbType.StreamListpacks2:
      return readStream(r, type);
    case RdbType.Hash:
    case RdbType.HashZipmap:
    case RdbType.HashZiplist:
    case RdbType.HashListpack:
      return readHash(r, type, r.limits);
    case RdbType.Set:
    case RdbType.SetIntset:
      return readSet(r, type, r.limits);
    case RdbType.Zset:
    case RdbType.Zset2:
    case RdbType.ZsetZiplist:
    case RdbType.ZsetListpack:
      return readZset(r, type, r.limits);
    default: {
      const name = UNSUPPORTED_TYPES[type];
      if (name !== undefined) throw new UnsupportedTypeError(`RDB type ${type} (${name}) is not supported by this broker yet`, r.base + at);
      return r.fail(`unknown RDB type ${type}`, at);
    }
  }
}
