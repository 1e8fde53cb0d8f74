/**
 * Group commit (ARCHITECTURE.md, "The AOF and group commit"). Under `appendfsync
 * always` no output leaves before the effects of every command that ran before it are
 * on disk, as in redis-server, which fsyncs in beforeSleep before writing any reply: a
 * client never sees a write, its own or another's, that a crash could take back. The
 * event loop never waits for the disk: output waits in the connection, and every
 * command written before an fsync starts shares it.
 *
 * Output is released in order, in prefixes: each flush marks the output produced since
 * the last one with the AOF offset it needs (`syncMarks`), and what is synced goes out
 * while the rest waits. So a client that pipelines writes without pause gets its
 * replies fsync after fsync, not once it stops sending.
 *
 * While the AOF is failing (a write or fsync error), output that only read goes out
 * (reads keep working); the replies of writes, and of clients they woke, wait until
 * the AOF has recovered. A mark records which of the two it is.
 */
import { Flag, type Command } from '../../../engine/command.js';
import type { Connection } from '../../net/connection.js';
import type { Persistence } from '../persistence.js';
import type { AofWriter } from './writer.js';

/** syncMarks holds triples: an output position, the AOF offset it waits for, and READ or WRITE. */
const MARK = 3;
/** Output of commands that only read: goes out while the AOF is failing. */
const READ = 0;
/** Output of a command that wrote, or of a client a write woke. */
const WRITE = 1;

export class GroupCommit {
  /** writer.appended after the last command a client ran (to tell which commands wrote). */
  private appendedMark = 0;
  /** Connections whose output waits for an fsync. */
  private readonly held = new Set<Connection>();

  /** `aof`: the writer of the moment, and whether the AOF is on. */
  constructor(private readonly aof: Pick<Persistence, 'writer' | 'state'>) {}

  /** A new writer counts its appended bytes from zero. */
  newWriter(): void {
    this.appendedMark = 0;
  }

  /**
   * After each client command (dispatch): output that shows data waits for the effects
   * appended before it; a command that wrote, and the clients it woke, wait for theirs
   * even while the AOF is failing. Replies that show no data (INFO, PING, CONFIG...)
   * do not wait, so the broker can be looked at while a disk hangs.
   */
  afterCommand(c: Connection, command: Command<Connection>, woken: readonly Connection[]): void {
    const writer = this.aof.writer;
    if (writer === null) return;
    const wrote = writer.appended !== this.appendedMark;
    this.appendedMark = writer.appended;
    if (!this.groupCommitting(writer)) return;
    if (wrote) {
      c.syncNeed = 'write';
      for (const w of woken) w.syncNeed = 'write';
    } else if (c.syncNeed === 'none' && showsData(command)) c.syncNeed = 'read';
  }

  /** Connection.flush: takes the part of `c`'s output that may be written now; the rest waits for its fsync. */
  takeDurable(c: Connection): readonly Buffer[] {
    const writer = this.aof.writer;
    if (writer !== null && this.groupCommitting(writer)) this.mark(c, writer);
    const marks = c.syncMarks;
    if (marks === null) return c.reply.take();
    const synced = writer?.synced ?? 0;
    const failing = writer?.failing ?? false;
    let i = 0;
    while (i < marks.length && (marks[i + 1] <= synced || (failing && marks[i + 2] === READ))) i += MARK;
    if (i === marks.length) {
      c.syncMarks = null;
      return c.reply.take();
    }
    const out = i === 0 ? [] : c.reply.takeUpTo(marks[i - MARK]);
    if (i !== 0) marks.splice(0, i);
    this.wait(c, marks[1]);
    return out;
  }

  /** True while part of `c`'s output waits for an fsync. */
  holding(c: Connection): boolean {
    return c.syncMarks !== null;
  }

  /** appendfsync changed: output held for an fsync under `always` gets it now. */
  policyChanged(): void {
    for (const c of this.held) this.aof.writer?.whenSynced(c.syncMarks?.[1] ?? 0, () => this.release(c));
  }

  /** The AOF's write status changed: once it is failing, output that only read goes out. */
  statusChanged(): void {
    if (this.aof.writer?.failing === true) for (const c of [...this.held]) this.release(c);
  }

  /** The AOF stopped: no fsync will come, all held output goes out. */
  releaseAll(): void {
    for (const c of [...this.held]) {
      c.syncMarks = null;
      this.release(c);
    }
  }

  /** True when group commit applies: the AOF is on and appendfsync is always. */
  private groupCommitting(writer: AofWriter): boolean {
    return this.aof.state === 'on' && writer.policy === 'always';
  }

  /** Marks `c`'s output produced since its last mark with the offset it waits for, if any is unsynced. */
  private mark(c: Connection, writer: AofWriter): void {
    const need = c.syncNeed;
    if (need === 'none') return;
    c.syncNeed = 'none';
    if (writer.synced >= writer.appended || (need === 'read' && writer.failing)) return;
    const kind = need === 'write' ? WRITE : READ;
    const position = c.reply.position;
    const marks = c.syncMarks;
    if (marks === null) {
      if (c.reply.length !== 0) c.syncMarks = [position, writer.appended, kind];
      return;
    }
    const last = marks.length - MARK;
    if (position === marks[last]) return;
    if (marks[last + 1] !== writer.appended) marks.push(position, writer.appended, kind);
    else {
      // The same fsync covers both: one mark, a write's if either is.
      marks[last] = position;
      marks[last + 2] = Math.max(marks[last + 2], kind);
    }
  }

  private wait(c: Connection, target: number): void {
    if (this.held.has(c)) return;
    this.held.add(c);
    this.aof.writer?.whenSynced(target, () => this.release(c));
  }

  private release(c: Connection): void {
    if (!this.held.delete(c)) return;
    c.flush();
  }
}

/** Commands whose replies show the dataset (EXEC: whatever it ran might). */
function showsData(command: Command<Connection>): boolean {
  return command.has(Flag.ReadOnly) || command.has(Flag.Write) || command.fullname === 'exec';
}
