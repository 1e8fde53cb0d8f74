/**
 * Snapshots of the whole dataset, as bytes: the AOF base file and SAVE/BGSAVE's file.
 * Pure: this module produces and consumes buffers; the broker does the file I/O.
 *
 * Format "BRKSNAP" version 1 (integers as in bytes.ts: varuint LEB128, u64/i64/u32
 * little-endian; str = varuint length + latin1 bytes):
 *
 *   header   "BRKSNAP" 0x01, u64 creation time (ms since the epoch)
 *   records  0xFE varuint db       the keys that follow belong to db
 *            0xFC u64 ms           the next key expires at this time
 *            tag str key <value>   one key: tag 0 a string (str value, however long); any other
 *                                  tag a type's codec (codec.ts: 1 list, 2 stream)
 *   trailer  0xFF u64 keys u32 crc the number of keys, then the CRC-32 of every
 *                                  byte before the crc field
 *
 * Keys appear in any order and a db may come back several times: a snapshot written
 * while clients keep writing saves some keys early (below).
 *
 * Point in time without fork (ARCHITECTURE.md, "Snapshots without fork"):
 * `SnapshotWriter` captures every db's key table when it starts and walks them a slice
 * at a time. Meanwhile it is the dbs' `EntryGuard`: any entry about to be read or
 * changed that it has not saved yet is saved first, as it still is (copy-on-write at
 * key granularity), and keys created after the start are born marked as not part of it.
 * A long value (a stream of many nodes, a list of many chunks) is not written when it
 * is saved: it is frozen (its parts shared with the snapshot, the ones it changes
 * meanwhile copied first) and written over the following slices, its record built apart
 * and added whole, so neither a write to it nor the walk reaching it stalls the clients
 * for as long as the whole value takes. FLUSHDB leaves the old table to the walk and
 * SWAPDB moves tables whole, so each key lands in the db it was in at the start. Keys
 * already expired at the start are left out, as redis-server's rewrite does.
 *
 * The same walk can write RESP commands instead (`format: 'resp'`): SELECT, then each
 * key's rebuilding commands (codec.ts) and PEXPIREAT, as redis-server's AOF rewrite
 * without RDB preamble; no header, no trailer.
 */
import { crc32 } from 'node:zlib';
import { commandPieces, commandString } from '../../protocol/reply.js';
import { Db, type DataObject, type Entry, type EntryGuard, type KeyTable } from '../keyspace.js';
import type { U64 } from '../types/stream-id.js';
import type { Int64 } from '../util/int64.js';
import { ByteReader, ByteWriter, FormatError } from './bytes.js';
import { CODECS, codecByTag, STRING_TAG, type RecordInProgress } from './codec.js';
import { LARGE_VALUE, LargeString, type StringValue } from '../types/large-string.js';

const SNAPSHOT_MAGIC = 'BRKSNAP';
const VERSION = 1;
const OP_SELECTDB = 0xfe;
const OP_EXPIRE = 0xfc;
const OP_EOF = 0xff;
/** Keys between two looks at the clock in a time slice. */
const CLOCK_EVERY = 32;

// Stream nodes are saved as raw 32-bit words in the host's order: little-endian only.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('snapshots need a little-endian host');

/** True when `buf` starts like a snapshot (the AOF loader tells base formats apart by this). */
export function isSnapshot(buf: Buffer): boolean {
  return buf.length >= SNAPSHOT_MAGIC.length && buf.latin1Slice(0, SNAPSHOT_MAGIC.length) === SNAPSHOT_MAGIC;
}

let nextEpoch = 1;

/** 'snapshot': the binary format above; 'resp': commands that rebuild the dataset. */
export type SnapshotFormat = 'snapshot' | 'resp';

export interface SnapshotOptions {
  /**
   * False for a snapshot written in one go (`snapshotBytes`): nothing can change
   * meanwhile, so it neither guards the dbs nor marks entries (a live snapshot may be
   * running alongside and owns the marks). Default true.
   */
  live?: boolean;
  format?: SnapshotFormat;
}

interface CapturedTable {
  table: KeyTable;
  db: number;
  walk: Iterator<Entry>;
}

/** A long value being saved over several slices: its record is built apart, then added whole. */
interface ValueInProgress {
  db: number;
  key: string;
  /** The key's expiry (ms) when it was saved, or null. */
  expireAt: Int64 | null;
  tag: number;
  record: RecordInProgress;
  out: ByteWriter;
}

/**
 * A live snapshot saves a value of more parts than this across slices (stream nodes:
 * about 6,400 entries; list chunks: 8,192 elements).
 */
const PARTS_AT_ONCE = 64;
/** Parts written between two looks at the clock. */
const PARTS_PER_CHECK = 16;

export class SnapshotWriter implements EntryGuard {
  readonly epoch = nextEpoch++;
  /** Keys in the dataset when the snapshot started, and keys saved (or skipped) since. */
  readonly total: number;
  done = 0;
  /** Keys written into the snapshot. */
  keys = 0;
  private readonly w = new ByteWriter();
  private readonly tables: CapturedTable[] = [];
  private readonly byTable = new Map<KeyTable, CapturedTable>();
  private next = 0;
  private lastDb = -1;
  private crc = 0;
  private finished = false;
  /** Long values saved (frozen) but not yet written, oldest first. */
  private readonly long: ValueInProgress[] = [];

  private readonly live: boolean;
  private readonly resp: boolean;

  constructor(
    private readonly dbs: readonly Db[],
    /** The start time: keys expired before it are left out. */
    readonly startedAt: number,
    options: SnapshotOptions = {},
  ) {
    const live = options.live ?? true;
    this.live = live;
    this.resp = options.format === 'resp';
    let total = 0;
    for (const db of dbs) {
      if (live && db.guard !== null) throw new Error('another snapshot is in progress');
      total += db.size;
      const captured = { table: db.table, db: db.id, walk: db.table.values() };
      this.tables.push(captured);
      this.byTable.set(captured.table, captured);
    }
    this.total = total;
    if (live) for (const db of dbs) db.guard = this;
    if (this.resp) return;
    this.w.bytes(Buffer.from(SNAPSHOT_MAGIC, 'latin1'));
    this.w.u8(VERSION);
    this.w.u64(startedAt);
  }

  /** EntryGuard: saves `e` before it is read or changed. */
  before(table: KeyTable, e: Entry): void {
    const captured = this.byTable.get(table);
    if (captured !== undefined) this.save(captured.db, e);
    else e.epoch = this.epoch;
  }

  /**
   * Saves keys for about `budgetMs` of wall time (Infinity: all of them). Returns
   * true once every key of the start is saved and written; then call `finish`.
   */
  step(budgetMs: number): boolean {
    const deadline = performance.now() + budgetMs;
    if (!this.writeLong(deadline)) return false;
    let n = 0;
    while (this.next < this.tables.length) {
      const captured = this.tables[this.next];
      for (;;) {
        const it = captured.walk.next();
        if (it.done === true) break;
        const e = it.value;
        if (!this.live || e.epoch !== this.epoch) this.save(captured.db, e);
        if (++n % CLOCK_EVERY === 0 && performance.now() >= deadline) return false;
      }
      this.next++;
    }
    return this.writeLong(deadline);
  }

  /** Bytes produced so far (by steps and by copy-on-write saves), for the file; at most about `max` at a time. */
  drain(max = Infinity): Buffer {
    const out = this.w.take(max);
    this.crc = crc32(out, this.crc);
    return out;
  }

  /** Pending bytes not yet drained. */
  get buffered(): number {
    return this.w.length;
  }

  /** Ends the snapshot (after `step` returned true): the trailer, and the guard is lifted. */
  finish(): Buffer {
    this.release();
    if (this.resp) return this.drain();
    this.w.u8(OP_EOF);
    this.w.u64(this.keys);
    const body = this.drain();
    const trailer = Buffer.allocUnsafe(4);
    trailer.writeUInt32LE(this.crc, 0);
    return Buffer.concat([body, trailer]);
  }

  /** Stops without finishing: the dbs are no longer guarded. */
  abort(): void {
    this.release();
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    for (const db of this.dbs) if (db.guard === this) db.guard = null;
    for (const value of this.long.splice(0)) value.record.thaw();
  }

  /** Writes the long values saved so far, until `deadline`; true once none is left. */
  private writeLong(deadline: number): boolean {
    const long = this.long;
    while (long.length > 0) {
      const v = long[0];
      while (!v.record.step(v.out, PARTS_PER_CHECK)) if (performance.now() >= deadline) return false;
      long.shift();
      v.record.thaw();
      this.recordHead(v.db, v.expireAt, v.tag, v.key);
      this.w.append(v.out);
      this.keys++;
      if (long.length > 0 && performance.now() >= deadline) return false;
    }
    return true;
  }

  /** What precedes a key's value: its db (when it changes), its expiry, its type's tag and its name. */
  private recordHead(db: number, expireAt: Int64 | null, tag: number, key: string): void {
    const w = this.w;
    if (db !== this.lastDb) {
      w.u8(OP_SELECTDB);
      w.varuint(db);
      this.lastDb = db;
    }
    if (expireAt !== null) {
      w.u8(OP_EXPIRE);
      w.u64(expireAt);
    }
    w.u8(tag);
    w.str(key);
  }

  /** RESP mode: the commands that rebuild the entry. */
  private saveCommands(db: number, e: Entry): void {
    const emit = (argv: readonly string[]): void => this.w.latin1(commandString(argv));
    if (db !== this.lastDb) {
      emit(['SELECT', String(db)]);
      this.lastDb = db;
    }
    const value = e.value;
    if (typeof value === 'string') {
      emit(['SET', e.key, value]);
    } else if (value instanceof LargeString) {
      // Its bytes shared, not copied (copy on write), and never made a JS string.
      for (const piece of commandPieces(['SET', e.key, value.share()])) {
        if (typeof piece === 'string') this.w.latin1(piece);
        else this.w.shared(piece);
      }
    } else {
      const codec = CODECS[value.type];
      if (codec === undefined) throw new Error(`no snapshot codec for type ${value.type}`);
      codec.commands(e.key, value, emit);
    }
    if (e.expireAt !== 0) emit(['PEXPIREAT', e.key, String(Db.expireTimeIn(this.dbs, e))]);
    this.keys++;
  }

  private save(db: number, e: Entry): void {
    if (this.live) e.epoch = this.epoch;
    this.done++;
    if (e.expireAt !== 0 && e.expireAt < this.startedAt) return;
    if (this.resp) return this.saveCommands(db, e);
    const expireAt = e.expireAt === 0 ? null : Db.expireTimeIn(this.dbs, e);
    const value = e.value;
    if (typeof value === 'string') {
      this.recordHead(db, expireAt, STRING_TAG, e.key);
      this.w.str(value);
      this.keys++;
      return;
    }
    if (value instanceof LargeString) {
      // Shared, not copied: a change meanwhile copies the value instead (copy on write).
      this.recordHead(db, expireAt, STRING_TAG, e.key);
      this.w.varuint(value.length);
      this.w.shared(value.share());
      this.keys++;
      return;
    }
    const codec = CODECS[value.type];
    if (codec === undefined) throw new Error(`no snapshot codec for type ${value.type}`);
    // A long value is written over the next slices from a frozen view: writing it now
    // would stall the clients for as long as the whole value takes.
    const record = this.live ? codec.freeze(value, PARTS_AT_ONCE) : null;
    if (record !== null) {
      this.long.push({ db, key: e.key, expireAt, tag: codec.tag, record, out: new ByteWriter() });
      return;
    }
    this.recordHead(db, expireAt, codec.tag, e.key);
    codec.write(this.w, value);
    this.keys++;
  }
}

/** The whole dataset as one snapshot, at once (SAVE, DEBUG RELOAD, a first AOF base). */
export function snapshotBytes(dbs: readonly Db[], now: number, format: SnapshotFormat = 'snapshot'): Buffer {
  const writer = new SnapshotWriter(dbs, now, { live: false, format });
  writer.step(Infinity);
  const body = writer.drain();
  return Buffer.concat([body, writer.finish()]);
}

export interface SnapshotLoad {
  /** Keys loaded, and keys skipped because they had already expired. */
  keys: number;
  expired: number;
  /** Offset just past the snapshot's last byte. */
  end: number;
}

export interface SnapshotLoadOptions {
  /** Keys whose time is before this are skipped. */
  now: number;
}

/**
 * Loads a snapshot into `dbs` (normally empty). Throws FormatError with the offset
 * of the first byte that does not parse, or of the trailer when the checksum or key
 * count does not match.
 */
export function loadSnapshot(dbs: readonly Db[], buf: Buffer, options: SnapshotLoadOptions): SnapshotLoad {
  const steps = snapshotLoadSteps(dbs, buf, options);
  for (;;) {
    const step = steps.next(Infinity);
    if (step.done) return step.value;
  }
}

/**
 * `loadSnapshot` in steps, so that the caller can stop between keys (and serve clients
 * meanwhile): `next(n)` loads up to n more keys, then yields the offset reached.
 */
export function* snapshotLoadSteps(dbs: readonly Db[], buf: Buffer, options: SnapshotLoadOptions): Generator<number, SnapshotLoad, number> {
  if (!isSnapshot(buf)) throw new FormatError('not a snapshot (bad signature)', 0);
  const r = new ByteReader(buf, SNAPSHOT_MAGIC.length);
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
    let value: string | DataObject;
    if (op === STRING_TAG) {
      value = readStringValue(r);
    } else {
      const codec = codecByTag(op);
      if (codec === undefined) throw new FormatError(`unknown record type ${op}`, at);
      value = codec.read(r);
    }
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

/** A string record's value: a JS string, or past LARGE_VALUE a LargeString (copied out of the file's buffer). */
function readStringValue(r: ByteReader): StringValue {
  const bytes = r.view(r.varuint());
  return bytes.length > LARGE_VALUE ? LargeString.copyOf(bytes) : bytes.latin1Slice();
}
