/**
 * maxmemory, as redis-server's performEvictions and processCommand's OOM check: before
 * each command, while the memory account (broker/introspection/memory.ts) is over the
 * limit, keys are evicted by the policy (engine/evict.ts) for at most the time
 * `maxmemory-eviction-tenacity` allows, the rest continuing between event-loop turns;
 * when nothing can be evicted (noeviction, or no key the policy may take) a command
 * flagged `denyoom`, an EXEC with one queued, or anything but EXEC/DISCARD/QUIT/RESET
 * inside MULTI is refused with -OOM.
 *
 * No eviction while loading, while clients are paused, nor on a follower with
 * `replica-ignore-maxmemory yes` (the default: it mirrors its leader, whose evictions
 * arrive as DELs), as redis-server's isSafeToPerformEvictions.
 */
import { Flag, type Command } from '../../engine/command.js';
import type { Engine } from '../../engine/engine.js';
import type { Connection } from '../net/connection.js';
import type { Broker } from '../server.js';
import { execQueuedWith } from './multi.js';

const enum EvictResult {
  /** Under the limit, or evicting is not allowed now. */
  Ok,
  /** Over the limit, evictions go on in later turns. */
  Running,
  /** Over the limit and nothing can be evicted. */
  Fail,
}

/** What maxmemory uses of the broker. */
export type MaxmemoryHost = Pick<Broker, 'config' | 'engine' | 'memory' | 'pause' | 'persistence' | 'latency' | 'log' | 'guard'>;

/** Commands a client in MULTI may still send once out of memory (processCommand's reject_cmd_on_oom). */
const ALLOWED_IN_MULTI = new Set(['exec', 'discard', 'quit', 'reset']);

/** evictionTimeLimitUs: tenacity 0-10 is 0-500 µs, then 15% more per step, 100 without limit. */
function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
  return Infinity;
}

export class Maxmemory {
  /** maxmemory in bytes; 0: no limit (read by dispatch on every command). */
  limit = 0;
  private readonly engine: Engine;
  private timeLimitMs = evictionTimeLimitMs(10);
  private ignoreOnFollower = true;
  /** Nothing could be freed under the limit before the last command (redis-server's pre_command_oom_state). */
  private failedAtCommand = false;
  /** The eviction "time proc": evictions continuing between turns. */
  private continuing: NodeJS.Immediate | null = null;
  /** Since when memory has been over the limit (performance.now()), 0 when it is not. */
  private exceededSince = 0;
  /** Milliseconds spent over the limit before the current stretch (INFO total_eviction_exceeded_time). */
  private exceededTotalMs = 0;

  constructor(private readonly host: MaxmemoryHost) {
    this.engine = host.engine;
    const config = host.config;
    const engine = this.engine;
    const apply = (): void => {
      this.limit = config.int('maxmemory');
      this.timeLimitMs = evictionTimeLimitMs(config.int('maxmemory-eviction-tenacity'));
      this.ignoreOnFollower = config.bool('replica-ignore-maxmemory');
      engine.evictor.samples = config.int('maxmemory-samples');
      engine.lfuLogFactor = config.int('lfu-log-factor');
      engine.lfuDecayTime = config.int('lfu-decay-time');
    };
    apply();
    for (const name of ['maxmemory-eviction-tenacity', 'replica-ignore-maxmemory', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time']) {
      config.onChange(name, apply);
    }
    config.onChange('maxmemory', () => {
      apply();
      this.limitChanged();
    });
  }

  /**
   * processCommand's maxmemory step: evicts as needed, then true when `command` must be
   * refused with -OOM because nothing more could be freed.
   */
  refuses(c: Connection, command: Command<Connection>): boolean {
    this.failedAtCommand = this.performEvictions() === EvictResult.Fail;
    if (!this.failedAtCommand) return false;
    if (command.has(Flag.DenyOom) || execQueuedWith(c, command, Flag.DenyOom)) return true;
    return c.multi !== null && !ALLOWED_IN_MULTI.has(command.fullname);
  }

  /**
   * Whether a script run by `c`'s command started out of memory: its first write that
   * may grow memory is refused (scriptVerifyOOM). Not for a leader's commands nor on a follower.
   */
  outOfMemory(c: Connection): boolean {
    return this.limit !== 0 && this.failedAtCommand && c.kind !== 'master' && !c.mustObey && !this.engine.followsLeader;
  }

  /** Bytes over the limit, not counting replicas' output and the AOF buffer (getMaxmemoryState); 0 when within. */
  private overBy(): number {
    if (this.limit === 0) return 0;
    const f = this.host.memory.figures();
    if (f.used <= this.limit) return 0;
    return Math.max(f.used - f.notCountedForEvict - this.limit, 0);
  }

  /** isSafeToPerformEvictions. */
  private mayEvict(): boolean {
    if (this.host.persistence.loading.active || this.host.pause.active) return false;
    return !(this.engine.followsLeader && this.ignoreOnFollower);
  }

  /** performEvictions: frees memory until under the limit or out of time or of keys. */
  performEvictions(): EvictResult {
    if (!this.mayEvict()) return EvictResult.Ok;
    const toFree = this.overBy();
    if (toFree === 0) return this.recordState(EvictResult.Ok);
    if (this.engine.maxmemoryPolicy === 'noeviction') return this.recordState(EvictResult.Fail);
    const start = performance.now();
    let freed = 0;
    let keys = 0;
    let result = EvictResult.Ok;
    while (freed < toFree) {
      const bytes = this.engine.evictor.evictOne();
      if (bytes < 0) {
        result = EvictResult.Fail;
        break;
      }
      freed += bytes;
      // Like redis-server, look at the clock every 16 keys only.
      if (++keys % 16 === 0 && performance.now() - start > this.timeLimitMs) {
        this.continueLater();
        break;
      }
    }
    if (result !== EvictResult.Fail && this.continuing !== null) result = EvictResult.Running;
    const ms = performance.now() - start;
    const latency = this.host.latency;
    if (ms >= 1) latency.addSample('eviction-cycle', Math.floor(ms));
    return this.recordState(result);
  }

  /** startEvictionTimeProc: keeps evicting in the following turns until done or stuck. */
  private continueLater(): void {
    if (this.continuing !== null) return;
    const step = this.host.guard('eviction', () => {
      this.continuing = null;
      if (this.performEvictions() === EvictResult.Running) this.continueLater();
    });
    this.continuing = setImmediate(step);
  }

  /** CONFIG SET maxmemory: warns when already over it and starts evicting (updateMaxmemory). */
  private limitChanged(): void {
    if (this.limit === 0) return;
    const used = this.host.memory.sample();
    if (used > this.limit) {
      this.host.log.warn(
        `WARNING: the new maxmemory value set via CONFIG SET (${this.limit}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
      );
    }
    this.continueLater();
  }

  /** Tracks how long memory stays over the limit (performEvictions' update_metrics). */
  private recordState(result: EvictResult): EvictResult {
    if (result !== EvictResult.Ok) {
      if (this.exceededSince === 0) this.exceededSince = performance.now();
    } else if (this.exceededSince !== 0) {
      this.exceededTotalMs += performance.now() - this.exceededSince;
      this.exceededSince = 0;
    }
    return result;
  }

  /** INFO stats current_eviction_exceeded_time and total_eviction_exceeded_time, in ms. */
  exceededTimes(): { current: number; total: number } {
    const current = this.exceededSince === 0 ? 0 : performance.now() - this.exceededSince;
    return { current: Math.floor(current), total: Math.floor(this.exceededTotalMs + current) };
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    this.exceededTotalMs = 0;
    if (this.exceededSince !== 0) this.exceededSince = performance.now();
  }

  /** Shutdown: no more evictions between turns. */
  stop(): void {
    if (this.continuing !== null) clearImmediate(this.continuing);
    this.continuing = null;
  }
}
