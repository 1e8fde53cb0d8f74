/**
 * The AOF's directory, `<dir>/<appenddirname>/`, in redis-server 7's multi-part layout:
 * a base file (a snapshot, engine/persist/snapshot.ts, or RESP commands), incremental
 * files of RESP effects (resp-log.ts) and the manifest listing them (manifest.ts).
 * Knows where the set is, its current manifest and the sizes of the files no longer
 * appended to; does the file work of start-up (what a crash or a careless hand left
 * there, opening the file to append to) and removes history files after a rewrite.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { snapshotPieces } from '../../../engine/persist/snapshot.js';
import { rdbInfo } from '../snapshot-file.js';
import type { PersistenceHost } from '../persistence.js';
import type { FsyncFaults } from './fsync-faults.js';
import { Manifest, ManifestError, persistManifest, persistManifestSync, readManifest } from './manifest.js';
import { writeFileDurablySync } from '../snapshot-file.js';
import { PersistenceStartError } from '../loading.js';
import { strerror } from '../strerror.js';

export class AofDir {
  /** Absolute path, fixed when the AOF starts (a later CONFIG SET dir does not move it). */
  path = '';
  /** appendfilename: the files' names start with it. */
  prefix = '';
  manifest = new Manifest();
  /**
   * Byte sizes: the base file, incremental files before the current one (aof_current_size
   * is their sum plus the current one). As redis-server's, they are the sizes of the
   * files loaded at start: a base created at start (nothing to load) is not counted.
   */
  baseFileSize = 0;
  olderIncrBytes = 0;

  constructor(
    private readonly broker: PersistenceHost,
    /** The fdatasync of its files, with DEBUG AOF-FSYNC-FAIL's faults. */
    private readonly faults: FsyncFaults,
  ) {}

  /** Takes the directory and file prefix from the configuration as it is now. */
  locate(): void {
    const config = this.broker.config;
    this.path = path.join(config.get('dir'), config.get('appenddirname'));
    this.prefix = config.get('appendfilename');
  }

  file(name: string): string {
    return path.join(this.path, name);
  }

  /** The incremental file that collects effects while enabling the AOF writes the first base. */
  get tempIncrName(): string {
    return `temp-${this.prefix}.incr`;
  }

  /** aof-use-rdb-preamble: a snapshot base (named .rdb as redis-server names its RDB base), or RESP (.aof). */
  baseSuffix(): 'rdb' | 'aof' {
    return this.broker.config.bool('aof-use-rdb-preamble') ? 'rdb' : 'aof';
  }

  /**
   * At start-up: reads the manifest (empty when there is none and no AOF file either)
   * and removes temporary files an interrupted rewrite left. Refuses to start over a
   * manifest it cannot read, or over AOF files without one.
   */
  readAtStart(): Manifest {
    let manifest: Manifest | null;
    try {
      manifest = readManifest(this.path, this.prefix);
    } catch (err) {
      if (err instanceof ManifestError) throw new PersistenceStartError(err.report());
      throw new PersistenceStartError(`Fatal error: can't open the AOF manifest ${this.prefix}.manifest for reading: ${strerror(err)}`);
    }
    if (manifest === null) {
      const orphans = this.aofFilesOnDisk();
      if (orphans.length > 0) {
        throw new PersistenceStartError(
          `The AOF directory ${this.path} has AOF files (${orphans.join(', ')}) but no manifest ${this.prefix}.manifest: ` +
            'refusing to start with an empty dataset over them. Restore the manifest, or move the files away.',
        );
      }
      manifest = new Manifest();
    }
    this.manifest = manifest;
    this.removeTempFiles();
    return manifest;
  }

  /** Reads the manifest again (an empty one when there is none); throws when it cannot. */
  readManifest(): void {
    this.manifest = readManifest(this.path, this.prefix) ?? new Manifest();
  }

  /** An incremental file on disk that the manifest does not list is not loaded: say so. */
  warnUnlisted(): void {
    const listed = new Set([...this.manifest.loadList(), ...this.manifest.history].map((f) => f.name));
    for (const name of this.aofFilesOnDisk()) {
      if (!listed.has(name)) this.broker.log.warn(`AOF file ${name} is not listed in the manifest: it is not loaded`);
    }
  }

  /** At start-up: history files a crash left behind are not needed by anything. */
  removeHistorySync(): void {
    for (const h of this.manifest.history) fs.rmSync(this.file(h.name), { force: true });
    this.manifest.history = [];
  }

  /**
   * Opens the last incremental file for appending, creating a base (of the dataset
   * loaded so far) and/or an incremental file as needed, and makes the manifest listing
   * them durable (aofOpenIfNeededOnServerStart). Returns the file and its size.
   */
  openAtStart(): { fd: number; size: number } {
    const log = this.broker.log;
    fs.mkdirSync(this.path, { recursive: true });
    const m = this.manifest;
    if (m.isEmpty) {
      const suffix = this.baseSuffix();
      const base = m.newBase(this.prefix, suffix);
      const bytes = snapshotPieces(this.broker.engine.dbs, Date.now(), suffix === 'rdb' ? 'snapshot' : 'resp', rdbInfo(true));
      writeFileDurablySync(this.file(base.name), this.file(`temp-${base.name}`), bytes);
      log.info(`Creating AOF base file ${base.name} on server start`);
    }
    const existing = m.incr.length > 0;
    const incr = existing ? m.incr[m.incr.length - 1] : m.newIncr(this.prefix);
    const fd = fs.openSync(this.file(incr.name), 'a', 0o644);
    persistManifestSync(this.path, this.prefix, m);
    const size = fs.fstatSync(fd).size;
    this.measureOlderIncr();
    log.info(`${existing ? 'Opening' : 'Creating'} AOF incr file ${incr.name} on server start`);
    return { fd, size };
  }

  /** Sets `olderIncrBytes` from the files on disk. */
  measureOlderIncr(): void {
    this.olderIncrBytes = 0;
    for (const f of this.manifest.incr.slice(0, -1)) this.olderIncrBytes += fs.statSync(this.file(f.name)).size;
  }

  /** Writes `m` as the manifest, atomically and durably, off the event loop. */
  persist(m: Manifest): Promise<void> {
    return persistManifest(this.path, this.prefix, m, this.faults.sync);
  }

  /** After a rewrite: removes the history files, then their lines in the manifest. */
  async deleteHistory(): Promise<void> {
    if (this.manifest.history.length === 0) return;
    for (const h of this.manifest.history) {
      this.broker.log.info(`Removing the history file ${h.name} in the background`);
      await fsp.rm(this.file(h.name), { force: true });
    }
    const m = this.manifest.clone();
    m.history = [];
    await this.persist(m);
    this.manifest = m;
  }

  /** Files named like this AOF's in its directory. */
  private aofFilesOnDisk(): string[] {
    return this.names().filter((n) => n.startsWith(`${this.prefix}.`) && /\.(base|incr)\.(rdb|aof)$/.test(n));
  }

  private removeTempFiles(): void {
    for (const n of this.names()) if (n.startsWith('temp-')) fs.rmSync(this.file(n), { force: true });
  }

  /** The names in the directory; none when it cannot be read (it may not exist yet). */
  private names(): string[] {
    try {
      return fs.readdirSync(this.path);
    } catch {
      return [];
    }
  }
}
