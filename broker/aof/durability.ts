/**
 * Group commit (DESIGN.md decision 5): under `appendfsync always`, the reply to a
 * command that wrote, and the replies of the clients it woke, stay in their
 * connections' output until the AOF is synced up to its effects. The event loop never
 * waits for the disk: the connection is flushed when the fsync covering it completes,
 * and every command written before that fsync shares it.
 */
import type { Connection } from '../connection.js';
import type { Persistence } from './persistence.js';

export class GroupCommit {
  /** writer.appended after the last command a client ran (to tell which commands wrote). */
  private appendedMark = 0;
  /** Connections whose output waits for an fsync (appendfsync always). */
  private readonly held = new Set<Connection>();

  /** `aof`: the writer of the moment, and whether the AOF is on. */
  constructor(private readonly aof: Pick<Persistence, 'writer' | 'state'>) {}

  /** A new writer counts its appended bytes from zero. */
  newWriter(): void {
    this.appendedMark = 0;
  }

  /**
   * After each client command (dispatch): under `appendfsync always`, a command that
   * wrote, and the clients it woke, get their replies only once the AOF is synced
   * up to its effects.
   */
  afterCommand(c: Connection, woken: readonly Connection[]): void {
    const writer = this.aof.writer;
    if (writer === null || writer.appended === this.appendedMark) return;
    this.appendedMark = writer.appended;
    if (this.aof.state !== 'on' || writer.policy !== 'always') return;
    c.durableAt = writer.appended;
    for (const w of woken) w.durableAt = writer.appended;
  }

  /** Connection.flush: true when `c`'s output must wait for an fsync (it is flushed then). */
  holdOutput(c: Connection): boolean {
    // Infinity: held until whoever set it (DEBUG LOADAOF) lets go.
    if (c.durableAt === Infinity) return true;
    const writer = this.aof.writer;
    if (writer === null || writer.synced >= c.durableAt) {
      c.durableAt = 0;
      return false;
    }
    if (!this.held.has(c)) {
      this.held.add(c);
      writer.whenSynced(c.durableAt, () => this.release(c));
    }
    return true;
  }

  /** appendfsync changed: replies held for an fsync under `always` get it now. */
  policyChanged(): void {
    for (const c of this.held) this.aof.writer?.whenSynced(c.durableAt, () => this.release(c));
  }

  /** The AOF stopped: no fsync will come, every held reply goes out. */
  releaseAll(): void {
    for (const c of [...this.held]) {
      c.durableAt = 0;
      this.release(c);
    }
  }

  private release(c: Connection): void {
    if (!this.held.delete(c)) return;
    c.flush();
  }
}
