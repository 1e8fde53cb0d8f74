/**
 * Snapshots of the whole dataset, as bytes: SAVE/BGSAVE's `dump.rdb`, the AOF base,
 * DEBUG RELOAD, DUMP. Pure: this module produces and consumes buffers; the broker does
 * the file I/O.
 *
 * Format: Redis RDB version 10, as redis-server 7.0 writes it (rdb.c, rdbSaveRio), so
 * redis-server and its tools load what the broker writes and the other way round:
 *
 *   "REDIS0010"
 *   0xFA aux fields     redis-ver, redis-bits, ctime, used-mem, [repl-stream-db,
 *                       repl-id, repl-offset], aof-base (strings, numbers int-encoded)
 *   0xFE db  0xFB n e   SELECTDB, then RESIZEDB: keys and keys with an expiry
 *   [0xFC ms] type key value    one key: its expiry (8 bytes LE), RDB type, name, value
 *   0xFF crc64          EOF, then the CRC-64 of every byte before it (little-endian)
 *
 * Values are encoded by the types' codecs (codec.ts, rdb/). Where this differs from
 * redis-server: keys appear in any order and a db's SELECTDB may come back several
 * times, because a snapshot written while clients keep writing saves some keys early
 * (below); RESIZEDB gives the db's sizes when the snapshot started. Loading accepts
 * every RDB version up to 10 that holds types the engine has, and the broker's former
 * format, BRKSNAP (brksnap.ts), so older files are not stranded.
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
import { commandPieces, commandString } from '../../protocol/reply.js';
import { isPacked } from '../../protocol/packed-string.js';
import { Db, type Entry, type EntryGuard, type KeyTable } from '../keyspace.js';
import type { Int64 } from '../util/int64.js';
import { ByteWriter } from './bytes.js';
import { codecOf, readValue, type RecordInProgress } from './codec.js';
import { brksnapLoadSteps, isBrksnap } from './brksnap.js';
import { LargeString } from '../types/large-string.js';
import { Crc64 } from './rdb/crc64.js';
import { RDB_MAGIC, RDB_VERSION, RdbInput, RdbOp, RdbType, writeLen, writeMillis, writeString } from './rdb/encoding.js';

/** The Redis version whose RDB dialect is written (the `redis-ver` aux field). */
const RDB_REDIS_VERSION = '7.0.15';
/** Keys between two looks at the clock in a time slice. */
const CLOCK_EVERY = 32;

/** True when `buf` starts like a snapshot the broker loads: RDB, or the former BRKSNAP. */
export function isSnapshot(buf: Buffer): boolean {
  return isRdb(buf) || isBrksnap(buf);
}

/** True when `buf` starts with the RDB signature. */
function isRdb(buf: Buffer): boolean {
  return buf.length >= RDB_MAGIC.length && buf.latin1Slice(0, RDB_MAGIC.length) === RDB_MAGIC;
}

/** What the aux fields of the file say besides the data (rdbSaveInfoAuxFields). */
export interface SnapshotInfo {
  /** used-mem: the process's memory use, as INFO's used_memory. */
  usedMem?: number;
  /** aof-base: the file is an AOF base. */
  aofBase?: boolean;
  /** The replication position the file stands for (a full resync's payload). */
  repl?: { streamDb: number; id: string; offset: number };
}

let nextEpoch = 1;

/** 'snapshot': the RDB format above; 'resp': commands that rebuild the dataset. */
export type SnapshotFormat = 'snapshot' | 'resp';

export interface SnapshotOptions {
  /**
   * False for a snapshot written in one go (`snapshotBytes`): nothing can change
   * meanwhile, so it neither guards the dbs nor marks entries (a live snapshot may be
   * running alongside and owns the marks). Default true.
   */
  live?: boolean;
  format?: SnapshotFormat;
  /** The aux fields' content (RDB format only). */
  info?: SnapshotInfo;
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
  /** The key's entry, measured again once written when the codec `keepsEncoding`. */
  entry: Entry;
  keepsEncoding: boolean;
  /** The key's expiry (ms) when it was saved, or null. */
  expireAt: Int64 | null;
  type: RdbType;
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
  private readonly crc = new Crc64();
  /** Dbs whose SELECTDB (and RESIZEDB) was written. */
  private readonly dbsStarted = new Set<number>();
  /** Each db's key and expiry counts when the snapshot started, for RESIZEDB. */
  private readonly sizes = new Map<number, [number, number]>();
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
      this.sizes.set(db.id, [db.size, db.expiresCount]);
      const captured = { table: db.table, db: db.id, walk: db.table.values() };
      this.tables.push(captured);
      this.byTable.set(captured.table, captured);
    }
    this.total = total;
    if (live) for (const db of dbs) db.guard = this;
    const libraries = dbs[0]?.engine.functionLibraries?.codes() ?? [];
    if (this.resp) {
      // As redis-server's AOF rewrite: the libraries first, as FUNCTION LOAD commands.
      for (const code of libraries) this.w.latin1(commandString(['FUNCTION', 'LOAD', code]));
      return;
    }
    this.w.latin1(RDB_MAGIC + String(RDB_VERSION).padStart(4, '0'));
    this.writeAux(options.info ?? {});
    // rdbSaveFunctions: each library's code after the aux fields, before the keys.
    for (const code of libraries) {
      this.w.u8(RdbOp.Function2);
      writeString(this.w, code);
    }
  }

  /** The aux fields, in redis-server's order (rdbSaveInfoAuxFields). */
  private writeAux(info: SnapshotInfo): void {
    const aux = (name: string, value: string | number): void => {
      this.w.u8(RdbOp.Aux);
      writeString(this.w, name);
      writeString(this.w, String(value));
    };
    aux('redis-ver', RDB_REDIS_VERSION);
    aux('redis-bits', 64);
    aux('ctime', Math.floor(this.startedAt / 1000));
    aux('used-mem', info.usedMem ?? 0);
    if (info.repl !== undefined) {
      aux('repl-stream-db', info.repl.streamDb);
      aux('repl-id', info.repl.id);
      aux('repl-offset', info.repl.offset);
    }
    aux('aof-base', info.aofBase === true ? 1 : 0);
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
    if (!this.resp) this.crc.update(out);
    return out;
  }

  /** Pending bytes not yet drained. */
  get buffered(): number {
    return this.w.length;
  }

  /** Ends the snapshot (after `step` returned true): the trailer, and the guard is lifted. */
  finish(): Buffer {
    const pieces = this.finishPieces();
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  /** `finish`, its bytes as the pieces they were written in (a file takes them without their being copied together). */
  finishPieces(): Buffer[] {
    this.release();
    if (this.resp) return [this.drain()];
    this.w.u8(RdbOp.Eof);
    const pieces = this.w.takePieces();
    for (const piece of pieces) this.crc.update(piece);
    pieces.push(this.crc.bytes());
    return pieces;
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
      this.recordHead(v.db, v.expireAt, v.type, v.key);
      this.w.append(v.out);
      if (v.keepsEncoding) this.remeasure(v.db, v.entry);
      this.keys++;
      if (long.length > 0 && performance.now() >= deadline) return false;
    }
    return true;
  }

  /** What precedes a key's value: its db (when it changes), its expiry, its RDB type and its name. */
  private recordHead(db: number, expireAt: Int64 | null, type: RdbType, key: string): void {
    const w = this.w;
    if (db !== this.lastDb) {
      w.u8(RdbOp.SelectDb);
      writeLen(w, db);
      this.lastDb = db;
      if (!this.dbsStarted.has(db)) {
        this.dbsStarted.add(db);
        const [keys, expires] = this.sizes.get(db) ?? [0, 0];
        w.u8(RdbOp.ResizeDb);
        writeLen(w, keys);
        writeLen(w, expires);
      }
    }
    if (expireAt !== null) {
      w.u8(RdbOp.ExpireTimeMs);
      writeMillis(w, expireAt);
    }
    w.u8(type);
    writeString(w, key);
  }

  /** RESP mode: the commands that rebuild the entry. */
  private saveCommands(db: number, e: Entry): void {
    const emit = (argv: readonly string[]): void => {
      // A packed element (a list element or stream value past V8's string limit) goes out as bytes.
      if (argv.some(isPacked)) this.pieces(argv);
      else this.w.latin1(commandString(argv));
    };
    if (db !== this.lastDb) {
      emit(['SELECT', String(db)]);
      this.lastDb = db;
    }
    const value = e.value;
    if (typeof value === 'string') {
      emit(['SET', e.key, value]);
    } else if (value instanceof LargeString) {
      // Its bytes shared, not copied (copy on write), and never made a JS string.
      // Its bytes shared, not copied (copy on write), and never made a JS string.
      this.pieces(['SET', e.key, value.share()]);
    } else {
      codecOf(value).commands(e.key, value, emit);
    }
    if (e.expireAt !== 0) emit(['PEXPIREAT', e.key, String(Db.expireTimeIn(this.dbs, e))]);
    this.keys++;
  }

  /** A command with byte arguments, written in pieces: its bytes shared, not copied. */
  private pieces(argv: readonly (string | Buffer)[]): void {
    for (const piece of commandPieces(argv)) {
      if (typeof piece === 'string') this.w.latin1(piece);
      else this.w.shared(piece);
    }
  }

  private save(db: number, e: Entry): void {
    if (this.live) e.epoch = this.epoch;
    this.done++;
    if (e.expireAt !== 0 && e.expireAt < this.startedAt) return;
    if (this.resp) return this.saveCommands(db, e);
    const expireAt = e.expireAt === 0 ? null : Db.expireTimeIn(this.dbs, e);
    const value = e.value;
    if (typeof value === 'string') {
      this.recordHead(db, expireAt, RdbType.String, e.key);
      writeString(this.w, value);
      this.keys++;
      return;
    }
    if (value instanceof LargeString) {
      // Shared, not copied: a change meanwhile copies the value instead (copy on write).
      // Written as it is, without LZF: compressing hundreds of MB would stall the clients.
      this.recordHead(db, expireAt, RdbType.String, e.key);
      writeLen(this.w, value.length);
      this.w.shared(value.share());
      this.keys++;
      return;
    }
    const codec = codecOf(value);
    // A long value is written over the next slices from a frozen view: writing it now
    // would stall the clients for as long as the whole value takes.
    const record = this.live ? codec.freeze(value, PARTS_AT_ONCE) : null;
    if (record !== null) {
      this.long.push({ db, key: e.key, entry: e, keepsEncoding: codec.keepsEncoding === true, expireAt, type: codec.rdbType(value), record, out: new ByteWriter() });
      return;
    }
    this.recordHead(db, expireAt, codec.rdbType(value), e.key);
    codec.write(this.w, value);
    if (codec.keepsEncoding === true) this.remeasure(db, e);
    this.keys++;
  }

  /** A key whose value kept what was written of it (`TypeCodec.keepsEncoding`): its bytes changed. */
  private remeasure(db: number, e: Entry): void {
    const owner = this.dbs.find((d) => d.id === db);
    if (owner !== undefined) owner.engine.noteTouched(owner, e);
  }
}

/** The whole dataset as one snapshot, at once (DEBUG RELOAD, tests). */
export function snapshotBytes(dbs: readonly Db[], now: number, format: SnapshotFormat = 'snapshot', info: SnapshotInfo = {}): Buffer {
  return Buffer.concat(snapshotPieces(dbs, now, format, info));
}

/** `snapshotBytes` as the pieces it was written in, for a file (SAVE, a first AOF base): not copied into one Buffer. */
export function snapshotPieces(dbs: readonly Db[], now: number, format: SnapshotFormat = 'snapshot', info: SnapshotInfo = {}): Buffer[] {
  const writer = new SnapshotWriter(dbs, now, { live: false, format, info });
  writer.step(Infinity);
  return writer.finishPieces();
}

export interface SnapshotLoad {
  /** Keys loaded, and keys skipped because they had already expired. */
  keys: number;
  expired: number;
  /** Offset just past the snapshot's last byte. */
  end: number;
  /** The aux fields read (RDB), by name. */
  aux?: Map<string, string>;
}

export interface SnapshotLoadOptions {
  /** Keys whose time is before this are skipped. */
  now: number;
}

/**
 * Loads a snapshot into `dbs` (normally empty). Throws FormatError with the offset
 * of the first byte that does not parse, or of the trailer when the checksum does not
 * match.
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
export function snapshotLoadSteps(dbs: readonly Db[], buf: Buffer, options: SnapshotLoadOptions): Generator<number, SnapshotLoad, number> {
  if (isBrksnap(buf)) return brksnapLoadSteps(dbs, buf, options);
  return rdbLoadSteps(dbs, new RdbInput(buf), options, null);
}

/** An input too long to hold whole (a follower's full-resync payload, in a file): read a window at a time. */
export interface SnapshotSource {
  /** The input's length in bytes. */
  readonly size: number;
  /** Copies up to `length` bytes from input offset `position` into `into` at `offset`; returns how many (0 at the end). */
  read(into: Buffer, offset: number, length: number, position: number): number;
}

/** Bytes a window holds at least (more when one record is longer). */
const WINDOW_BYTES = 1 << 20;

/**
 * `snapshotLoadSteps` over a `SnapshotSource` held a window at a time: whatever the
 * input's length, about the window plus twice its longest record is in memory at most.
 * RDB only (the former BRKSNAP format loads from a Buffer).
 */
export function snapshotSourceLoadSteps(
  dbs: readonly Db[],
  source: SnapshotSource,
  options: SnapshotLoadOptions,
  windowBytes = WINDOW_BYTES,
): Generator<number, SnapshotLoad, number> {
  const window = new InputWindow(source, windowBytes);
  return rdbLoadSteps(dbs, window.input, options, window);
}

/**
 * An `RdbInput`'s window over a source: extended while a record goes past its end (into
 * a longer Buffer holding the same bytes at the same offsets, so what the record's
 * readers hold stays valid), and moved on at a record's start once little of it is left
 * or much is behind, within the same Buffer (the loader copies whatever it keeps,
 * RdbInput.blob). The bytes it leaves behind go into the CRC-64 the trailer is checked
 * against. It holds `bytes` and, while a longer record is read, twice that record at most.
 */
class InputWindow {
  readonly input = new RdbInput(Buffer.alloc(0));
  /** The CRC-64 of the input before the window. */
  readonly crc = new Crc64();
  private readonly bytes: number;
  /** The Buffer the window is in (`input.buf` is its first `input.end` bytes). */
  private space: Buffer;

  constructor(
    private readonly source: SnapshotSource,
    bytes: number,
  ) {
    // The signature is read from the first window.
    this.bytes = Math.max(bytes, 64);
    this.space = Buffer.allocUnsafe(Math.min(this.bytes, source.size));
    this.input.extend = (want) => this.extend(want);
    this.take(0, 0);
  }

  /** At a record's start: the window starts there anew when less than a quarter of it is left, or half of it is behind. */
  recordStart(): void {
    const r = this.input;
    if (r.base + r.end >= this.source.size) return;
    if (r.end - r.pos >= this.bytes / 4 && r.pos < this.bytes / 2) return;
    this.crc.update(r.buf, 0, r.pos);
    const kept = r.end - r.pos;
    if (this.space.length > 2 * this.bytes && kept < this.bytes) {
      // A long record made the window larger: back to `bytes`.
      const space = Buffer.allocUnsafe(this.bytes);
      this.space.copy(space, 0, r.pos, r.end);
      this.space = space;
    } else {
      this.space.copyWithin(0, r.pos, r.end);
    }
    this.take(r.pos, kept);
  }

  /** A record goes on past the window: a longer one, at least to `want` (an offset in it) if the input is that long. */
  private extend(want: number): void {
    const r = this.input;
    const size = Math.min(Math.max(want, 2 * r.end), this.source.size - r.base);
    if (size <= r.end) return;
    const space = Buffer.allocUnsafe(size);
    this.space.copy(space, 0, 0, r.end);
    this.space = space;
    this.take(0, r.end);
  }

  /**
   * The window is now the input from `from` (an offset in the last one) on: its first
   * `kept` bytes are in `space` already, the rest of `space` is read from the source.
   */
  private take(from: number, kept: number): void {
    const r = this.input;
    const base = r.base + from;
    const space = this.space;
    const size = Math.min(space.length, this.source.size - base);
    let got = kept;
    while (got < size) {
      const n = this.source.read(space, got, size - got, base + got);
      if (n === 0) break;
      got += n;
    }
    r.buf = got === space.length ? space : space.subarray(0, got);
    r.end = got;
    r.base = base;
    r.pos -= from;
  }
}

/** The RDB version in a file's signature, checked as rdbLoadRio does. */
function readSignature(r: RdbInput): number {
  if (!isRdb(r.buf)) r.fail('Wrong signature trying to load DB from file', 0);
  const text = r.raw(9).latin1Slice(5);
  const version = /^[0-9]{4}$/.test(text) ? Number(text) : NaN;
  if (!(version >= 1 && version <= RDB_VERSION)) r.fail(`Can't handle RDB format version ${text}`, 5);
  return version;
}

/** Loads an RDB from `r`: the whole input, or with `window` a window of it. */
function* rdbLoadSteps(dbs: readonly Db[], r: RdbInput, options: SnapshotLoadOptions, window: InputWindow | null): Generator<number, SnapshotLoad, number> {
  r.limits = dbs[0].settings;
  const version = readSignature(r);
  const aux = new Map<string, string>();
  let db: Db = dbs[0];
  let expireAt: Int64 | null = null;
  let keys = 0;
  let expired = 0;
  let budget = 0;
  for (;;) {
    window?.recordStart();
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case RdbOp.Eof:
        return { keys, expired, end: checkTrailer(r, version, window?.crc ?? new Crc64()), aux };
      case RdbOp.SelectDb: {
        const index = r.len();
        if (typeof index !== 'number' || index >= dbs.length) {
          return r.fail(`FATAL: Data file was created with a Redis server configured to handle more than ${dbs.length} databases. Exiting`, at);
        }
        db = dbs[index];
        continue;
      }
      case RdbOp.ResizeDb:
        // Not used to size the db ahead, as redis-server does: a JS Map cannot be sized,
        // and one that is (`new Map(pairs)`) took 1,000,000 string keys no faster than
        // one grown key by key; growth (OrderedHashMap::Rehash) is about 3% of a load of
        // strings, whose largest part is the cache misses of the Map's lookups (perf).
        r.len();
        r.len();
        continue;
      case RdbOp.ExpireTimeMs:
        expireAt = r.millis();
        continue;
      case RdbOp.ExpireTime:
        expireAt = r.seconds() * 1000;
        continue;
      case RdbOp.Aux: {
        const name = r.string();
        aux.set(name, r.string());
        continue;
      }
      case RdbOp.Idle:
        r.len();
        continue;
      case RdbOp.Freq:
        r.u8();
        continue;
      case RdbOp.ModuleAux:
        return r.fail("The RDB file contains AUX module data I can't load: no matching module", at);
      case RdbOp.Function2: {
        const code = r.string();
        const libraries = db.engine.functionLibraries;
        if (libraries === null) return r.fail('The RDB file contains functions (FUNCTION LOAD), and scripting is not set up here', at);
        // Replacing, as a full resync or DEBUG RELOAD reloads libraries the engine may have.
        const loaded = libraries.load(code, true);
        if ('error' in loaded) return r.fail(`Failed loading library: ${loaded.error}`, at);
        continue;
      }
      case RdbOp.FunctionPreGa:
        return r.fail('The RDB file contains functions in the format of a Redis 7.0 release candidate, which this broker does not load', at);
      default:
        break;
    }
    const key = r.string();
    const value = readValue(r, op, at);
    if (value === null) {
      // An empty collection: redis-server skips the key too.
    } else if (expireAt !== null && expireAt < options.now) {
      expired++;
    } else {
      const e = db.load(key, value);
      if (expireAt !== null) db.setExpire(e, expireAt);
      keys++;
    }
    expireAt = null;
    if (--budget <= 0) budget = yield r.base + r.pos;
  }
}

/**
 * After EOF: the CRC-64 of everything before it (version 5 on; zero means not
 * computed), `before` holding that of the input before `r`'s buffer. Returns the end offset.
 */
function checkTrailer(r: RdbInput, version: number, before: Crc64): number {
  if (version < 5) return r.base + r.pos;
  const at = r.pos;
  const stored = r.raw(8);
  if (!stored.equals(Buffer.alloc(8)) && !stored.equals(before.update(r.buf, 0, at).bytes())) {
    r.fail('Wrong RDB checksum. Aborting now.', at);
  }
  return r.base + r.pos;
}
