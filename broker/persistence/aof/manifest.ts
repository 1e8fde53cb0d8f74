/**
 * The AOF manifest, in redis-server 7's exact format (aof.c): one line per file,
 * `file <name> seq <n> type <b|h|i>`, the base first, then history, then incremental
 * files in sequence order. Names that need it are quoted as sdscatrepr does; lines
 * are parsed as sdssplitargs does, with redis-server's checks and error texts.
 *
 * Written atomically: a temp file is written and fsynced, renamed over the manifest,
 * then the directory is fsynced, so a crash leaves either the old or the new one.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { splitArgs } from '../../../protocol/parser.js';
import { quoteRepr } from '../../repr.js';

export type AofFileType = 'b' | 'h' | 'i';

export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** What redis-server's aofLoadManifestFromFile reports before exiting. */
export class ManifestError extends Error {
  constructor(
    message: string,
    /** 1-based line number and the trimmed line, when a line is at fault. */
    readonly line: number | null = null,
    readonly text: string | null = null,
  ) {
    super(message);
  }

  /** The report as redis-server logs it. */
  report(): string {
    const where = this.line === null ? '' : `Reading the manifest file, at line ${this.line}\n>>> '${this.text}'\n`;
    return `\n*** FATAL AOF MANIFEST FILE ERROR ***\n${where}${this.message}`;
  }
}

const MAX_LINE = 1024;

/** sdsneedsrepr: a name with blanks, quotes, backslashes or unprintable bytes is quoted. */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c <= 0x20 || c >= 0x7f) return true;
  }
  return false;
}

export class Manifest {
  base: AofFileInfo | null = null;
  history: AofFileInfo[] = [];
  incr: AofFileInfo[] = [];
  /** Highest sequence numbers used so far (names never reuse one). */
  baseSeq = 0;
  incrSeq = 0;

  clone(): Manifest {
    const m = new Manifest();
    m.base = this.base === null ? null : { ...this.base };
    m.history = this.history.map((f) => ({ ...f }));
    m.incr = this.incr.map((f) => ({ ...f }));
    m.baseSeq = this.baseSeq;
    m.incrSeq = this.incrSeq;
    return m;
  }

  /** The manifest's text (getAofManifestAsString). */
  format(): string {
    let out = '';
    for (const f of [...(this.base === null ? [] : [this.base]), ...this.history, ...this.incr]) {
      out += `file ${needsRepr(f.name) ? quoteRepr(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
    }
    return out;
  }

  /** The base and incremental files, in load order. */
  loadList(): AofFileInfo[] {
    return [...(this.base === null ? [] : [this.base]), ...this.incr];
  }

  get isEmpty(): boolean {
    return this.base === null && this.incr.length === 0;
  }

  /**
   * A new base named `<prefix>.<seq>.base.<suffix>`; the previous one becomes history
   * (getNewBaseFileNameAndMarkPreAsHistory).
   */
  newBase(prefix: string, suffix: 'rdb' | 'aof'): AofFileInfo {
    if (this.base !== null) this.history.unshift({ ...this.base, type: 'h' });
    this.base = { name: `${prefix}.${++this.baseSeq}.base.${suffix}`, seq: this.baseSeq, type: 'b' };
    return this.base;
  }

  /** A new incremental file `<prefix>.<seq>.incr.aof` at the end of the list. */
  newIncr(prefix: string): AofFileInfo {
    const info: AofFileInfo = { name: `${prefix}.${++this.incrSeq}.incr.aof`, seq: this.incrSeq, type: 'i' };
    this.incr.push(info);
    return info;
  }

  /** After a rewrite: every incremental file but the last (the one being written) becomes history. */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    const kept = keepLast && this.incr.length > 0 ? [this.incr[this.incr.length - 1]] : [];
    const old = this.incr.slice(0, this.incr.length - kept.length);
    for (const f of old.reverse()) this.history.unshift({ ...f, type: 'h' });
    this.incr = kept;
  }

  /** Parses manifest text as aofLoadManifestFromFile does; throws ManifestError. */
  static parse(text: string): Manifest {
    const m = new Manifest();
    let maxSeq = 0;
    let lineNo = 0;
    let pos = 0;
    if (text.length === 0) throw new ManifestError('Found an empty AOF manifest');
    while (pos < text.length) {
      // fgets with a buffer of MAX_LINE+1: a longer line arrives in pieces, the first without '\n'.
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : Math.min(nl + 1, pos + MAX_LINE);
      const raw = text.slice(pos, end);
      pos = end;
      lineNo++;
      if (raw.startsWith('#')) continue;
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (!raw.includes('\n')) throw new ManifestError('The AOF manifest file contains too long line', lineNo, line);
      const fail = (message: string): ManifestError => new ManifestError(message, lineNo, line);
      if (line === '') throw fail('Invalid AOF manifest file format');
      const argv = splitArgs(line);
      if (argv === null || argv.length < 6 || argv.length % 2 !== 0) throw fail('Invalid AOF manifest file format');
      let name: string | null = null;
      let seq = 0;
      let type = '';
      for (let i = 0; i < argv.length; i += 2) {
        const k = argv[i].toLowerCase();
        if (k === 'file') {
          name = argv[i + 1];
          if (name.includes('/') || name.includes('\\')) throw fail("File can't be a path, just a filename");
        } else if (k === 'seq') {
          seq = atoll(argv[i + 1]);
        } else if (k === 'type') {
          type = argv[i + 1].charAt(0);
        }
      }
      if (name === null || name === '' || seq === 0 || type === '') throw fail('Invalid AOF manifest file format');
      if (type === 'b') {
        if (m.base !== null) throw fail('Found duplicate base file information');
        m.base = { name, seq, type };
        m.baseSeq = seq;
      } else if (type === 'h') {
        m.history.push({ name, seq, type });
      } else if (type === 'i') {
        if (seq <= maxSeq) throw fail('Found a non-monotonic sequence number');
        m.incr.push({ name, seq, type });
        m.incrSeq = seq;
        maxSeq = seq;
      } else {
        throw fail('Unknown AOF file type');
      }
    }
    return m;
  }
}

/** C's atoll: leading blanks, a sign, digits; 0 when there are none. */
function atoll(s: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

const manifestName = (prefix: string): string => `${prefix}.manifest`;
const tempManifestName = (prefix: string): string => `temp-${prefix}.manifest`;

/** Reads the manifest of `dir`; null when it does not exist. Throws ManifestError when invalid. */
export function readManifest(dir: string, prefix: string): Manifest | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, manifestName(prefix)), 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return Manifest.parse(text);
}

/** Writes the manifest atomically, off the event loop; `datasync` makes the new file durable. */
export async function persistManifest(dir: string, prefix: string, m: Manifest, datasync: (fd: number) => Promise<void>): Promise<void> {
  const temp = path.join(dir, tempManifestName(prefix));
  const handle = await fsp.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(m.format(), 'latin1');
    await datasync(handle.fd);
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, path.join(dir, manifestName(prefix)));
  await fsyncDir(dir);
}

/** The same, blocking: at start-up (before clients) and in the check-aof tool. */
export function persistManifestSync(dir: string, prefix: string, m: Manifest): void {
  const temp = path.join(dir, tempManifestName(prefix));
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, m.format(), null, 'latin1');
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, path.join(dir, manifestName(prefix)));
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

/** Makes a rename or a new file in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
