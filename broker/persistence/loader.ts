/**
 * Loading the AOF at start (and DEBUG LOADAOF), as redis-server's loadAppendOnlyFiles:
 * the base file (a snapshot, or RESP commands), then each incremental file in order,
 * replayed through the engine by a client that never blocks and whose replies are
 * never built. The load is a generator of steps of a few keys or commands each
 * (loading.ts runs it, at once or a slice at a time). Progress is logged every second
 * (percentage and rate).
 *
 * Damage is handled as redis-server does, with the offset added to every message:
 * a last file that ends in the middle of a command (or of a MULTI block) is cut back
 * to its last complete command when `aof-load-truncated` is yes, and is fatal
 * otherwise; bytes that are not a command anywhere are fatal; so is a file the
 * manifest lists that cannot be read. Fatal errors throw `AofLoadError`, whose
 * message is what to log before exiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '../../engine/client.js';
import { ValueCall, type Argv, type Command, type CommandTable } from '../../engine/command.js';
import type { Engine } from '../../engine/engine.js';
import { FormatError } from '../../engine/persist/bytes.js';
import { DiscardingReply } from '../../protocol/discarding-reply.js';
import { isSnapshot, snapshotLoadSteps, type SnapshotLoad } from '../../engine/persist/snapshot.js';
import type { Logger } from '../log.js';
import type { Load, LoadSteps } from './loading.js';
import type { AofFileInfo, Manifest } from './aof/manifest.js';
import { AofFormatError, readCommand, type ReadCommand } from './aof/resp-log.js';
import { readWholeSync } from './snapshot-file.js';
import { strerror } from './strerror.js';

export class AofLoadError extends Error {}

export interface LoadDeps {
  engine: Engine;
  /** The engine's commands, for replay (SELECT, MULTI and EXEC are the loader's own). */
  commands: CommandTable<Client>;
  log: Logger;
  /** aof-load-truncated. */
  loadTruncated: boolean;
}

export interface LoadResult {
  /** 'empty' when the manifest lists nothing or only empty files. */
  status: 'ok' | 'empty' | 'truncated';
  /** Bytes of the base file, and of every file. */
  baseSize: number;
  totalSize: number;
  commands: number;
  keysLoaded: number;
  keysExpired: number;
  /**
   * A follower's position in its leader's stream that the data loaded stands for: the
   * last file's last annotation when it is a `REPL <replid> <offset> [<db>]` one with no
   * command after it (broker/replication/follower.ts writes them; `db`, the db the
   * stream is on there, 0 when absent); else null.
   */
  replPosition: { replid: string; offset: number; db: number } | null;
}

const CHUNK = 4 << 20;
const PROGRESS_EVERY_MS = 1000;
const EMPTY = Buffer.alloc(0);

const FIX_HINT = 'make a backup of your AOF file, then use `broker check-aof --fix <dir>`';

/** Reads a file's commands chunk by chunk, keeping track of file offsets. */
export class CommandStream {
  private buf: Buffer = EMPTY;
  /** File offset of buf[0]. */
  private base = 0;
  private pos = 0;
  private eof = false;

  /** The last annotation line read (without `#` and line end), and the file offset just past it. */
  lastAnnotation: { text: string; end: number } | null = null;
  private readonly noteAnnotation = (text: string, end: number): void => {
    this.lastAnnotation = { text, end };
  };

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** The next command; null at a clean end; 'truncated' when the file ends inside one. */
  next(): ReadCommand | null | 'truncated' {
    for (;;) {
      const cmd = readCommand(this.buf, this.pos, this.base, this.noteAnnotation);
      if (cmd !== null) {
        this.pos = cmd.end;
        return { argv: cmd.argv, end: this.base + cmd.end };
      }
      if (this.fill()) continue;
      // Annotation lines up to the end of the file end it cleanly.
      if (this.lastAnnotation !== null && this.lastAnnotation.end === this.base + this.buf.length) this.pos = this.buf.length;
      return this.pos >= this.buf.length ? null : 'truncated';
    }
  }

  /** Reads more of the file after the unread bytes; false at end of file. */
  private fill(): boolean {
    if (this.eof) return false;
    const keep = this.buf.length - this.pos;
    const want = Math.max(CHUNK, keep * 2);
    const next = Buffer.allocUnsafe(keep + want);
    this.buf.copy(next, 0, this.pos);
    const fileOffset = this.base + this.buf.length;
    const n = fs.readSync(this.fd, next, keep, want, fileOffset);
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.base = fileOffset - keep;
    this.buf = next.subarray(0, keep + n);
    this.pos = 0;
    return true;
  }
}

/** Logs loading progress at most once a second. */
class Progress {
  private last = Date.now();
  private lastCount = 0;

  constructor(
    private readonly log: Logger,
    private readonly total: number,
  ) {}

  report(name: string, done: number, count: number, unit: string): void {
    const now = Date.now();
    if (now - this.last < PROGRESS_EVERY_MS) return;
    const rate = Math.round(((count - this.lastCount) * 1000) / (now - this.last));
    const perc = this.total === 0 ? 100 : (done * 100) / this.total;
    this.log.info(`Loading ${name}: ${perc.toFixed(2)}% (${count} ${unit}, ${rate} ${unit}/s)`);
    this.last = now;
    this.lastCount = count;
  }
}

/** The load of the files `manifest` lists; throws AofLoadError at once when one of them cannot be read. */
export function appendOnlyFilesLoad(dir: string, manifest: Manifest, deps: LoadDeps): Load<LoadResult> {
  const files = manifest.loadList();
  const sizes = files.map((f) => {
    try {
      return fs.statSync(path.join(dir, f.name)).size;
    } catch (err) {
      throw new AofLoadError(
        `Unable to obtain the AOF file ${f.name} length. stat: ${strerror(err)} (the manifest lists it, but it cannot be read)`,
      );
    }
  });
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  return { totalBytes, steps: loadFiles(dir, files, sizes, totalBytes, deps) };
}

/** One file of a load, and the load it is part of. */
interface FileLoad {
  file: AofFileInfo;
  path: string;
  /** The last file the manifest lists (the only one whose tail may be cut). */
  last: boolean;
  /** Bytes of the files before it: offsets in the load's progress are the whole load's. */
  before: number;
  deps: LoadDeps;
  result: LoadResult;
  progress: Progress;
}

function* loadFiles(dir: string, files: AofFileInfo[], sizes: number[], totalSize: number, deps: LoadDeps): LoadSteps<LoadResult> {
  const result: LoadResult = { status: 'ok', baseSize: 0, totalSize, commands: 0, keysLoaded: 0, keysExpired: 0, replPosition: null };
  if (totalSize === 0) return { ...result, status: 'empty' };
  const progress = new Progress(deps.log, totalSize);
  const started = performance.now();
  let before = 0;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const start = performance.now();
    if (sizes[i] > 0) {
      const job: FileLoad = { file, path: path.join(dir, file.name), last: i === files.length - 1, before, deps, result, progress };
      const truncated = yield* loadFile(job);
      if (truncated) result.status = 'truncated';
      const kind = file.type === 'b' ? 'base' : 'incr';
      deps.log.info(`DB loaded from ${kind} file ${file.name}: ${((performance.now() - start) / 1000).toFixed(3)} seconds`);
    }
    if (file.type === 'b') result.baseSize = sizes[i];
    before += sizes[i];
  }
  deps.log.info(`DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  return result;
}

/** Loads one file; returns true when it was cut back (truncated tail accepted). */
function* loadFile(job: FileLoad): LoadSteps<boolean> {
  let fd: number;
  try {
    fd = fs.openSync(job.path, 'r');
  } catch (err) {
    throw new AofLoadError(`Fatal error: can't open the append log file ${job.file.name} for reading: ${strerror(err)}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(16, size));
    fs.readSync(fd, head, 0, head.length, 0);
    if (isSnapshot(head)) {
      yield* loadSnapshotFile(fd, size, job);
      return false;
    }
    return yield* replayFile(fd, size, job);
  } finally {
    fs.closeSync(fd);
  }
}

function* loadSnapshotFile(fd: number, size: number, job: FileLoad): LoadSteps<void> {
  const { file, deps, result, before } = job;
  deps.log.info('Reading RDB base file on AOF loading...');
  const steps = snapshotLoadSteps(deps.engine.dbs, readWholeSync(fd, size), { now: Date.now() });
  // The snapshot's steps under this file's: the same budget, offsets moved past the files
  // before. A step that does not end the load loads exactly its budget of keys.
  let budget = 1;
  let keys = 0;
  for (;;) {
    let step: IteratorResult<number, SnapshotLoad>;
    try {
      step = steps.next(budget);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      throw new AofLoadError(`Error reading the RDB base file ${file.name} at offset ${err.offset}: ${err.message}, AOF loading aborted`);
    }
    if (step.done) {
      result.keysLoaded += step.value.keys;
      result.keysExpired += step.value.expired;
      return;
    }
    keys += budget;
    job.progress.report(file.name, before + step.value, keys, 'keys');
    budget = yield before + step.value;
  }
}

/**
 * The client that replays commands: never blocks, and its replies are never built (a
 * `DiscardingReply`, as redis-server's prepareClientToWrite refuses its fake client).
 * Nothing reads them: a command that fails is applied as redis-server applies it, not
 * reported; a handler's exception is still logged by the engine.
 */
function replayClient(engine: Engine): Client {
  const client = new Client(engine, Number.MAX_SAFE_INTEGER, new DiscardingReply());
  client.mustObey = true;
  client.denyBlocking = true;
  // On a follower keys past their time stay as the leader's stream left them (redis-server expires nothing while loading).
  client.fromLeader = true;
  return client;
}

function* replayFile(fd: number, size: number, job: FileLoad): LoadSteps<boolean> {
  const { file, result, progress, before } = job;
  const { engine, commands, log } = job.deps;
  const client = replayClient(engine);
  const stream = new CommandStream(fd, size);
  /** Commands of an open MULTI block, run at its EXEC; a SELECT inside is queued too (as a db index). */
  let multi: ({ command: Command<Client>; argv: Argv<Client> } | number)[] | null = null;
  let validUpTo = 0;
  let validBeforeMulti = 0;
  let budget = 0;
  for (;;) {
    let cmd: ReadCommand | null | 'truncated';
    try {
      cmd = stream.next();
    } catch (err) {
      if (!(err instanceof AofFormatError)) throw err;
      throw new AofLoadError(`Bad file format reading the append only file ${file.name} at offset ${err.offset} (${err.message}): ${FIX_HINT}`);
    }
    if (cmd === null && multi === null) break;
    if (cmd === null || cmd === 'truncated') {
      if (cmd === null) log.warn(`Revert incomplete MULTI/EXEC transaction in AOF file ${file.name}`);
      const cut = multi !== null ? validBeforeMulti : validUpTo;
      // A follower's position after the last whole command is kept with it.
      const position = replPositionAt(stream, cut);
      result.replPosition = position;
      return acceptTruncated(job, position?.end ?? cut);
    }
    // A command with long bulks: its values as bytes, the rest as strings (or refused).
    const argv = Array.isArray(cmd.argv) ? cmd.argv : commands.admit(cmd.argv);
    const name = Array.isArray(argv) ? argv[0].toLowerCase() : '';
    if (!Array.isArray(argv)) {
      if (!(argv instanceof ValueCall)) {
        throw new AofLoadError(`Invalid command (${argv.error}) reading the append only file ${file.name} at offset ${validUpTo}`);
      }
      if (multi !== null) multi.push({ command: argv.command, argv });
      else engine.call(client, argv.command, argv);
    } else if (name === 'multi') {
      validBeforeMulti = validUpTo;
      multi = [];
    } else if (name === 'exec' && multi !== null) {
      engine.beginUnit();
      try {
        for (const queued of multi) {
          if (typeof queued === 'number') client.db = engine.dbs[queued];
          else engine.call(client, queued.command, queued.argv);
        }
      } finally {
        engine.endUnit();
      }
      multi = null;
    } else if (name === 'select') {
      const index = Number(argv[1]);
      if (argv.length !== 2 || !Number.isInteger(index) || index < 0 || index >= engine.dbs.length) {
        throw new AofLoadError(`Bad file format reading the append only file ${file.name} at offset ${validUpTo} (invalid SELECT): ${FIX_HINT}`);
      }
      if (multi !== null) multi.push(index);
      else client.db = engine.dbs[index];
    } else {
      const found = commands.lookup(argv);
      if (found.command === undefined || found.error !== undefined) {
        const what = found.command === undefined ? `Unknown command '${argv[0]}'` : `Invalid command '${argv[0]}' (${found.error})`;
        throw new AofLoadError(`${what} reading the append only file ${file.name} at offset ${validUpTo}`);
      }
      if (multi !== null) multi.push({ command: found.command, argv });
      else engine.call(client, found.command, argv);
    }
    validUpTo = cmd.end;
    result.commands++;
    if ((result.commands & 1023) === 0) progress.report(file.name, before + cmd.end, result.commands, 'commands');
    if (--budget <= 0) budget = yield before + cmd.end;
  }
  result.replPosition = replPositionAt(stream, validUpTo);
  return false;
}

/**
 * The follower position the data read so far stands for: the last annotation line, if
 * it is `REPL <replid> <offset> [<db>]` and no command came after it (`lastCommandEnd`);
 * with the file offset just past it.
 */
function replPositionAt(stream: CommandStream, lastCommandEnd: number): { replid: string; offset: number; db: number; end: number } | null {
  const annotation = stream.lastAnnotation;
  if (annotation === null || annotation.end <= lastCommandEnd) return null;
  const m = /^REPL ([0-9a-zA-Z]{40}) (\d+)(?: (\d+))?$/.exec(annotation.text);
  return m === null ? null : { replid: m[1], offset: Number(m[2]), db: Number(m[3] ?? 0), end: annotation.end };
}

/** A file that ends inside a command: cut back and go on, or stop (aof-load-truncated). */
function acceptTruncated(job: FileLoad, validUpTo: number): boolean {
  const { file, last, deps } = job;
  const { log } = deps;
  if (deps.loadTruncated && last) {
    log.warn(`!!! Warning: short read while loading the AOF file ${file.name}!!!`);
    log.warn(`!!! Truncating the AOF ${file.name} at offset ${validUpTo} !!!`);
    try {
      fs.truncateSync(job.path, validUpTo);
    } catch (err) {
      throw new AofLoadError(`Error truncating the AOF file ${file.name}: ${strerror(err)}`);
    }
    log.warn(`AOF ${file.name} loaded anyway because aof-load-truncated is enabled`);
    return true;
  }
  if (!last) throw new AofLoadError(`Fatal error: the truncated file ${file.name} (cut at offset ${validUpTo}) is not the last file`);
  throw new AofLoadError(
    `Unexpected end of file reading the append only file ${file.name} (last complete command ends at offset ${validUpTo}). You can: ` +
      `1) Make a backup of your AOF file, then use \`broker check-aof --fix <dir>\`. ` +
      "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
  );
}
