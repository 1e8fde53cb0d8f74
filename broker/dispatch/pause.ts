/**
 * CLIENT PAUSE, as redis-server's pauseClients and checkClientPauseTimeoutAndReturnIfPaused:
 * until a time, every command (ALL, CLIENT UNPAUSE included) or only those that may
 * write (WRITE: the `write` and `may_replicate` flags, so PUBLISH and EVAL/FCALL wait,
 * a write queued in MULTI and an EXEC holding one) waits; dispatch holds the command
 * in its connection, which runs it once the pause ends (CLIENT UNPAUSE, the time, or
 * DEBUG LOADAOF's load done), clients in the order they were held. Meanwhile keys
 * neither expire nor are evicted (`Engine.deletionsPaused`, set through `onChange`);
 * a client already blocked still times out.
 */
import { Flag, type Command } from '../../engine/command.js';
import type { Connection } from '../net/connection.js';
import { execWrites } from './multi.js';

export type PauseMode = 'all' | 'write';

/** Timers cannot wait longer than 2^31-1 ms: a longer pause is waited for in steps. */
const MAX_TIMER_MS = 2147483647;

export class ClientPause {
  /** Until when, and whether all commands or only writes wait; null when not paused. */
  private pause: { until: number; mode: PauseMode } | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Told when a pause starts and ends (the engine stops expiring and evicting keys meanwhile). */
  onChange: (paused: boolean) => void = () => undefined;

  /** Clients holding a command, in the order they were held: they resume in that order (unblockPostponedClients). */
  private readonly waiting = new Set<Connection>();

  get active(): boolean {
    return this.pause !== null;
  }

  /** True when the pause holds this command back (an expired pause ends here). */
  holds(c: Connection, command: Command<Connection>): boolean {
    const pause = this.pause;
    if (pause === null) return false;
    if (Date.now() >= pause.until) {
      this.end();
      return false;
    }
    if (pause.mode === 'write' && !command.has(Flag.Write) && !command.has(Flag.MayReplicate) && !execWrites(c, command)) return false;
    this.waiting.add(c);
    return true;
  }

  /** CLIENT PAUSE: the longer of the current and new pause, the stronger of the modes. */
  start(until: number, mode: PauseMode): void {
    const current = this.pause;
    this.pause = {
      until: current === null ? until : Math.max(current.until, until),
      mode: current?.mode === 'all' ? 'all' : mode,
    };
    this.clearTimer();
    this.onChange(true);
    this.check();
  }

  /** The cron: a pause whose time is over ends even if no command comes to notice. */
  expire(now: number): void {
    if (this.pause !== null && now >= this.pause.until) this.end();
  }

  /** Ends the pause and lets the held clients run their commands. */
  end(): void {
    this.pause = null;
    this.clearTimer();
    this.onChange(false);
    // Resumed later in this turn: the caller may be one of them, mid-command.
    const waiting = [...this.waiting];
    this.waiting.clear();
    setImmediate(() => {
      for (const c of waiting) if (c.heldCommand !== null) c.continueInput();
    });
  }

  /** The broker stops: no timer may outlive it. */
  clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.pause === null) return;
    const left = this.pause.until - Date.now();
    if (left <= 0) return this.end();
    this.timer = setTimeout(() => this.check(), Math.min(left, MAX_TIMER_MS));
    this.timer.unref();
  }
}
