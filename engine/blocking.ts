/**
 * Clients waiting in a blocking command (XREAD BLOCK, XREADGROUP BLOCK, BLPOP, ...).
 *
 * A blocking command that finds nothing registers a `Wait`: the keys it waits on and
 * how to finish. Any write to one of those keys marks the key ready; after the
 * command that wrote it (never in the middle of one) the waiters of each ready key
 * are offered the data in arrival order, and each either completes (writes its reply)
 * or keeps waiting. Nothing polls: only writes and timers wake a waiter.
 */
import { INTERNAL_ERROR } from './errors.js';
import type { Client } from './client.js';
import type { Db } from './keyspace.js';

export interface WaitSpec {
  /** Keys of `db` the client waits on. */
  keys: readonly string[];
  /** How long to wait, in ms; 0 waits forever. */
  timeoutMs: number;
  /**
   * Called after a write to `key`: completes the command if it can (writing its reply,
   * or an error such as a deleted stream's) and returns true, or returns false to
   * keep waiting.
   */
  serve(key: string): boolean;
  /** Writes the reply for a wait that timed out (or that CLIENT UNBLOCK ended so). */
  timedOut(): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

class Wait {
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly client: Client,
    readonly db: Db,
    readonly spec: WaitSpec,
  ) {}
}

export class Blocking {
  /** Waits by db then key, each queue in arrival order. */
  private readonly queues = new Map<Db, Map<string, Wait[]>>();
  private readonly waits = new Map<Client, Wait>();
  /** Keys written since the last `serveReady`, in the order they became ready. */
  private ready: { db: Db; key: string }[] = [];
  private readonly readySet = new Set<string>();

  /** Told about an exception thrown while a wait timed out (the engine reports it as a handler's). */
  onInternalError: (err: unknown, what: string) => void = () => undefined;

  /** Number of blocked clients (INFO blocked_clients). */
  get size(): number {
    return this.waits.size;
  }

  /** Number of distinct keys clients wait on (INFO total_blocking_keys). */
  get keyCount(): number {
    let n = 0;
    for (const byKey of this.queues.values()) n += byKey.size;
    return n;
  }

  isBlocked(c: Client): boolean {
    return this.waits.has(c);
  }

  /** Blocks `c` on keys of its current db. */
  block(c: Client, spec: WaitSpec): void {
    const w = new Wait(c, c.db, spec);
    this.waits.set(c, w);
    let byKey = this.queues.get(c.db);
    if (byKey === undefined) this.queues.set(c.db, (byKey = new Map()));
    for (const key of spec.keys) {
      const queue = byKey.get(key);
      if (queue === undefined) byKey.set(key, [w]);
      else if (!queue.includes(w)) queue.push(w);
    }
    if (spec.timeoutMs > 0) this.arm(w, Date.now() + spec.timeoutMs);
  }

  /**
   * Times the wait out at `deadline`. Node's timers take at most 2^31-1 ms (longer
   * delays fire at once), so a longer wait re-arms in steps.
   */
  private arm(w: Wait, deadline: number): void {
    const delay = deadline - Date.now();
    if (delay > MAX_TIMER_MS) {
      w.timer = setTimeout(() => this.arm(w, deadline), MAX_TIMER_MS);
    } else {
      w.timer = setTimeout(() => this.timeOut(w), Math.max(delay, 0));
    }
  }

  /** Marks `key` ready if anyone waits on it; called for every write to a key. */
  signal(db: Db, key: string): void {
    if (this.waits.size === 0) return;
    const queue = this.queues.get(db)?.get(key);
    if (queue === undefined) return;
    const id = db.id + ':' + key;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
  }

  /** Marks every key waited on in `db` ready (FLUSHDB, SWAPDB). */
  signalDb(db: Db): void {
    for (const key of this.queues.get(db)?.keys() ?? []) this.signal(db, key);
  }

  /** True when some key is ready; the engine then calls `serveReady`. */
  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /**
   * Offers every ready key to its waiters in arrival order. Serving may write keys
   * other clients wait on (BLMOVE), so this loops until nothing is ready.
   */
  serveReady(): void {
    while (this.ready.length > 0) {
      const ready = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const { db, key } of ready) {
        const queue = this.queues.get(db)?.get(key);
        if (queue === undefined) continue;
        for (const w of [...queue]) {
          if (this.waits.get(w.client) !== w) continue;
          if (w.spec.serve(key)) this.release(w);
        }
      }
    }
  }

  /** CLIENT UNBLOCK: ends `c`'s wait with its timeout reply, or with `error`. */
  unblock(c: Client, error: string | null): boolean {
    const w = this.waits.get(c);
    if (w === undefined) return false;
    this.finish(w, error === null ? () => w.spec.timedOut() : () => c.reply.error(error));
    return true;
  }

  /** The client went away: forget its wait without replying. */
  cancel(c: Client): void {
    const w = this.waits.get(c);
    if (w !== undefined) this.remove(w);
  }

  /**
   * A wait timed out. A timer's exception would end the process: it is reported, and
   * the client answered with an error (unless its reply was already written) and let go.
   */
  private timeOut(w: Wait): void {
    const reply = w.client.reply;
    const before = reply.position;
    try {
      this.finish(w, () => w.spec.timedOut());
    } catch (err) {
      this.onInternalError(err, 'blocking timeout');
      if (reply.position === before) reply.error(INTERNAL_ERROR('blocking timeout'));
      if (this.waits.get(w.client) === w) this.release(w);
    }
  }

  private finish(w: Wait, reply: () => void): void {
    reply();
    this.release(w);
  }

  /** Removes a completed wait and lets its client go on with its next commands. */
  private release(w: Wait): void {
    this.remove(w);
    w.client.unblocked();
  }

  private remove(w: Wait): void {
    if (w.timer !== null) clearTimeout(w.timer);
    this.waits.delete(w.client);
    const byKey = this.queues.get(w.db);
    if (byKey === undefined) return;
    for (const key of w.spec.keys) {
      const queue = byKey.get(key);
      if (queue === undefined) continue;
      const i = queue.indexOf(w);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0) byKey.delete(key);
    }
  }
}
