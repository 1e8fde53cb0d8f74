/**
 * Running a load of the dataset (the AOF, or the snapshot file), as redis-server's
 * startLoading / processEventsWhileBlocked / stopLoading. At start-up the load runs a
 * time slice at a time and clients are served between slices: dispatch refuses
 * commands without the `loading` flag with -LOADING while `active`, and INFO
 * persistence shows the progress. DEBUG LOADAOF loads at once, as redis-server does.
 *
 * A load is a generator of steps (a few keys or commands each) that yields the bytes
 * loaded so far; it may be stopped between two steps (SHUTDOWN or a signal).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Engine } from '../../engine/engine.js';
import { blockFor } from '../block.js';
import type { Config } from '../config/config.js';

export interface Load<R> {
  /** Bytes the load reads in all (loading_total_bytes). */
  totalBytes: number;
  steps: LoadSteps<R>;
}

/**
 * `next(n)` loads up to n more keys or commands, then yields the bytes loaded so far
 * (one yield per key would cost the load more than the keys themselves).
 */
export type LoadSteps<R> = Generator<number, R, number>;

/** The load was stopped before its end (a shutdown during start-up). */
export class LoadCancelled extends Error {
  constructor() {
    super('the load was cancelled');
  }
}

/** Start-up cannot go on (a damaged AOF, an unreadable snapshot): main.ts logs the message and exits 1. */
export class PersistenceStartError extends Error {}

export const LOADING_ERROR = 'LOADING Redis is loading the dataset in memory';

/** Wall time of one slice of a start-up load, before clients are served again. */
const SLICE_MS = 5;
/** Keys or commands between two looks at the clock (every one when key-load-delay slows them). */
const CLOCK_EVERY = 64;

export class Loading {
  /** A load is running (redis-server's server.loading): INFO `loading:1`, -LOADING to most commands. */
  active = false;
  private startTime = 0;
  private totalBytes = 0;
  private loadedBytes = 0;
  private cancelled = false;

  constructor(
    private readonly engine: Engine,
    private readonly config: Config,
  ) {}

  /**
   * From now until `end`, the broker is loading. Called before the listeners open, so
   * that no write gets in ahead of the load (it would be overwritten, and not logged).
   */
  begin(): void {
    this.active = true;
    this.cancelled = false;
    this.startTime = Math.floor(Date.now() / 1000);
    this.totalBytes = 0;
    this.loadedBytes = 0;
  }

  end(): void {
    this.active = false;
  }

  /** Stops the running start-up load at its next slice: `runSliced` rejects with LoadCancelled. */
  cancel(): void {
    this.cancelled = true;
  }

  /** Runs a load to its end before returning (DEBUG LOADAOF: nothing else runs meanwhile). */
  runNow<R>(load: Load<R>): R {
    this.begin();
    this.totalBytes = load.totalBytes;
    try {
      // Without a time limit the slice is the whole load.
      return (this.slice(load.steps, Infinity) as IteratorReturnResult<R>).value;
    } finally {
      this.end();
    }
  }

  /** Runs a load (between `begin` and `end`) a slice at a time, serving clients between slices. */
  async runSliced<R>(load: Load<R>): Promise<R> {
    this.totalBytes = load.totalBytes;
    for (;;) {
      const step = this.slice(load.steps, SLICE_MS);
      if (step.done) return step.value;
      await nextTurn();
      // Thrown into the steps, so that their `finally` blocks close what they opened.
      if (this.cancelled) load.steps.throw(new LoadCancelled());
    }
  }

  /**
   * A load while the broker runs (a follower's full resync): from `begin` to `end`,
   * a slice at a time, clients answered -LOADING meanwhile.
   */
  async runLoad<R>(load: Load<R>): Promise<R> {
    this.begin();
    try {
      return await this.runSliced(load);
    } finally {
      this.end();
    }
  }

  /** loading_* fields of INFO persistence while loading, as redis-server computes them. */
  infoFields(): string[] {
    if (!this.active) return [];
    const total = this.totalBytes;
    const loaded = this.loadedBytes;
    const elapsed = Math.floor(Date.now() / 1000) - this.startTime;
    const remaining = total === 0 ? 1 : total - loaded;
    // A fake 1 second while there is nothing to estimate from (redis-server's).
    const eta = elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (loaded + 1));
    return [
      `loading_start_time:${this.startTime}`,
      `loading_total_bytes:${total}`,
      // The memory the snapshot's writer used: redis-server reads it from its RDB; ours does not record it.
      'loading_rdb_used_mem:0',
      `loading_loaded_bytes:${loaded}`,
      `loading_loaded_perc:${(total === 0 ? 0 : (loaded / total) * 100).toFixed(2)}`,
      `loading_eta_seconds:${eta}`,
    ];
  }

  /** Runs steps for about `ms` of wall time; the load's result if it ended meanwhile. */
  private slice<R>(steps: LoadSteps<R>, ms: number): IteratorResult<number, R> {
    // The load's commands are not the clients': what they count (commands, keyspace hits) is undone.
    const stats = { ...this.engine.stats };
    const delay = this.config.int('key-load-delay');
    const batch = delay === 0 ? CLOCK_EVERY : 1;
    const until = performance.now() + ms;
    try {
      for (;;) {
        const step = steps.next(batch);
        if (step.done) return step;
        this.loadedBytes = step.value;
        if (delay !== 0) keyLoadDelay(delay);
        if (performance.now() >= until) return step;
      }
    } finally {
      Object.assign(this.engine.stats, stats);
    }
  }
}

/**
 * key-load-delay, as redis-server's debugDelay: microseconds to block after each key
 * or command loaded, so that tests can watch a load in progress; a negative value -N
 * blocks 1 microsecond with probability 1/N.
 */
function keyLoadDelay(usec: number): void {
  if (usec < 0) usec = Math.floor(Math.random() * -usec) === 0 ? 1 : 0;
  if (usec > 0) blockFor(usec / 1000);
}
