/**
 * Dispatch of one command line, as redis-server's processCommand and call: the
 * checks before a command may run (known name and arity, AUTH, MULTI, -MISCONF,
 * replication's -NOREPLICAS and -READONLY, RESP2 subscribed mode, -LOADING, CLIENT PAUSE), MULTI queueing, the engine call,
 * then what follows it: MONITOR, command stats, latency histograms, the slow log and
 * the latency monitor, group commit, and the clients the command woke.
 *
 * This is the hot path: what it reads on every command is held in fields here, not
 * looked up through the broker.
 */
// Imported, not the global: Node's global `performance` is a lazy accessor, a getter
// call at every use (two clock readings per command: 10-15 ns each).
import { performance } from 'node:perf_hooks';
import type { Engine } from '../../engine/engine.js';
import { argsOf, Flag, ValueCall, type Arg, type Argv, type Command, type CommandTable } from '../../engine/command.js';
import type { LargeCommand } from '../../protocol/parser.js';
import type { Connection } from '../net/connection.js';
import type { Broker } from '../server.js';
import type { Persistence } from '../persistence/persistence.js';
import { LOADING_ERROR } from '../persistence/loading.js';
import { LatencyHistogram } from '../introspection/histogram.js';
import { monitorLine } from '../introspection/monitor.js';
import { redactArgv } from '../introspection/redact.js';
import type { ClientPause } from './pause.js';
import { execAbortError, execQueuedWithout, execWrites, flagTransaction, queueIfInMulti } from './multi.js';
import { Maxmemory } from './maxmemory.js';
import { WallClock } from './wall-clock.js';
import { OOM } from '../../engine/errors.js';

/** What dispatch uses of the broker. */
export type DispatchHost = Pick<
  Broker,
  'commands' | 'engine' | 'config' | 'log' | 'persistence' | 'pause' | 'monitors' | 'slowlog' | 'latency' | 'histograms' | 'memory' | 'guard'
>;

/** Commands a RESP2 client may run while subscribed (redis-server's processCommand). */
const SUBSCRIBED_MODE_COMMANDS = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

export class Dispatcher {
  private readonly commands: CommandTable<Connection>;
  private readonly engine: Engine;
  private readonly persistence: Persistence;
  private readonly pause: ClientPause;
  private readonly monitors: ReadonlySet<Connection>;
  /** The client whose command runs (null between commands); clients unblocked meanwhile wait in `unblocked` until it ends. */
  current: Connection | null = null;
  /**
   * Replication's refusal of a write (-READONLY on a read-only follower, -NOREPLICAS),
   * set by broker/replication/ only while it can refuse: null costs one test per command.
   */
  writeGate: ((c: Connection) => string | null) | null = null;
  private readonly unblocked: Connection[] = [];
  /** Cached parameters read on every command: microseconds (Infinity when off) and ms (0 when off). */
  private slowlogThreshold = 0;
  private latencyThreshold = 0;
  private latencyTracking = true;
  /**
   * -MASTERDOWN while this broker follows a leader whose link is down and
   * `replica-serve-stale-data` is no (broker/replication/following.ts), else null.
   */
  staleRefusal: string | null = null;
  /**
   * -BUSY while a script runs past busy-reply-threshold (broker/scripting.ts): the
   * refusal of a command without the allow_busy flag, or null; null when no script runs.
   */
  busyGate: ((command: Command<Connection>) => string | null) | null = null;
  /** Error replies counted when the last call began or ended (redis-server's prev_err_count). */
  private errorMark = 0;
  /**
   * performance.now() when the last command run ended: the time the reply flusher
   * compares with between commands (ReplyFlusher.betweenCommands), rather than reading
   * the clock once more per command.
   */
  lastCallEnd = 0;
  /**
   * performance.now() at the end of the last command run since the last `dispatch`
   * began (-1 when none ran): where the next command of the same input starts its time.
   */
  private runEnd = -1;
  /** The start time `dispatch` hands the `execute` it leads to (-1: read the clock). */
  private startAt = -1;
  /** The wall-clock time commands run at, from the reading that times them; the cron keeps it in step. */
  readonly clock = new WallClock();
  /** maxmemory: evictions before each command and the -OOM refusal (dispatch/maxmemory.ts). */
  readonly maxmemory: Maxmemory;

  constructor(private readonly broker: DispatchHost) {
    this.commands = broker.commands;
    this.engine = broker.engine;
    this.persistence = broker.persistence;
    this.pause = broker.pause;
    this.monitors = broker.monitors;
    this.maxmemory = new Maxmemory(broker);
    const config = broker.config;
    const cacheThresholds = (): void => {
      const slower = config.int('slowlog-log-slower-than');
      this.slowlogThreshold = slower < 0 ? Infinity : slower;
      this.latencyThreshold = config.int('latency-monitor-threshold');
      this.latencyTracking = config.bool('latency-tracking');
    };
    cacheThresholds();
    for (const name of ['slowlog-log-slower-than', 'latency-monitor-threshold', 'latency-tracking']) {
      config.onChange(name, cacheThresholds);
    }
  }

  /**
   * Runs one command line from a client, as redis-server's processCommand and call
   * do. Returns false when CLIENT PAUSE holds the command: the caller retries later.
   *
   * `follows`: the command comes right after the one before it in the same client's
   * input, with nothing in between but parsing it. Its time then starts where the one
   * before it ended, saving a clock reading (0.03-0.05 us, 5% of a pipelined GET's CPU):
   * its command stats, latency histogram and slow log count the parsing of its own line
   * too, a fraction of a microsecond.
   */
  dispatch(c: Connection, line: string[] | LargeCommand, follows = false): boolean {
    this.startAt = follows ? this.runEnd : -1;
    this.runEnd = -1;
    let argv: string[];
    if (Array.isArray(line)) argv = line;
    else {
      // Long bulks: bytes at the command's value slots, strings elsewhere, or refused.
      const admitted = this.commands.admit(line);
      if (admitted instanceof ValueCall) return this.dispatchCommand(c, admitted.command, admitted);
      if (!Array.isArray(admitted)) {
        c.lastCommand = admitted.command?.fullname ?? 'NULL';
        this.reject(c, admitted.command, [], admitted.error);
        return true;
      }
      argv = admitted;
    }
    const found = this.commands.lookup(argv);
    if (found.error !== undefined) {
      // Set before running, as redis-server does: CLIENT INFO shows itself.
      c.lastCommand = found.command?.fullname ?? 'NULL';
      if (isSecurityAttack(argv[0])) {
        this.broker.log.warn({ client: c.addr }, 'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis.');
        c.close();
        return true;
      }
      this.reject(c, found.command, argv, found.error);
      return true;
    }
    const command = found.command;
    return this.dispatchCommand(c, command.flagsFor === null ? command : command.withFlags(command.flagsFor(argv)), argv);
  }

  /** `dispatch` once the command is known and its arity checked. */
  private dispatchCommand(c: Connection, command: Command<Connection>, argv: Argv<Connection>): boolean {
    c.lastCommand = command.fullname;
    if (!c.authenticated && !command.has(Flag.NoAuth)) {
      this.reject(c, command, argv, 'NOAUTH Authentication required.');
      return true;
    }
    if (this.busyGate !== null) {
      const refusal = this.busyGate(command);
      if (refusal !== null) {
        this.reject(c, command, argv, refusal);
        return true;
      }
    }
    if (c.multi !== null && command.has(Flag.NoMulti)) {
      this.reject(c, command, argv, 'ERR Command not allowed inside a transaction');
      return true;
    }
    // The leader's link is never refused: a follower applies what its leader did.
    const maxmemory = this.maxmemory;
    if (maxmemory.limit !== 0 && c.kind !== 'master' && maxmemory.refuses(c, command)) {
      this.reject(c, command, argv, OOM);
      return true;
    }
    // Writes (and PING, so monitoring notices) are refused while the disk refuses them.
    if (this.writesDenied(c, command)) {
      this.reject(c, command, argv, this.persistence.diskError()!);
      return true;
    }
    if (this.writeGate !== null && (command.has(Flag.Write) || execWrites(c, command))) {
      const refusal = this.writeGate(c);
      if (refusal !== null) {
        this.reject(c, command, argv, refusal);
        return true;
      }
    }
    if (c.subscriptions !== null && c.reply.resp === 2 && !SUBSCRIBED_MODE_COMMANDS.has(command.fullname)) {
      // RESP2 subscribed mode: replies would be mistaken for messages (RESP3 tells them apart).
      this.reject(
        c,
        command,
        argv,
        `ERR Can't execute '${command.fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
      return true;
    }
    if (this.staleRefusal !== null && (!command.has(Flag.Stale) || execQueuedWithout(c, command, Flag.Stale))) {
      this.reject(c, command, argv, this.staleRefusal);
      return true;
    }
    if (this.persistence.loading.active && deniedWhileLoading(c, command)) {
      this.reject(c, command, argv, LOADING_ERROR);
      return true;
    }
    // A tracking table over tracking-table-max-keys forgets keys before the command (processCommand).
    if (this.engine.tracking.clients !== 0) this.engine.tracking.enforceLimit();
    if (this.pause.active && this.pause.holds(c, command)) return false;
    if (c.multi !== null && queueIfInMulti(c, command, argv)) return true;
    this.current = c;
    try {
      this.execute(c, command, argv);
    } finally {
      this.current = null;
    }
    this.persistence.groupCommit.afterCommand(c, command, this.unblocked);
    if (this.unblocked.length !== 0) this.resumeUnblocked();
    return true;
  }

  /** writeCommandsDeniedByDiskError applied to a command (processCommand's is_write_command, and PING). */
  private writesDenied(c: Connection, command: Command<Connection>): boolean {
    if (this.persistence.diskError() === null) return false;
    return command.has(Flag.Write) || command.fullname === 'ping' || execWrites(c, command);
  }

  /**
   * redis-server's call(): runs a validated command, then shows it to MONITOR and
   * counts it (stats, slow log). EXEC calls it for each queued command, nested.
   */
  execute(c: Connection, command: Command<Connection>, argv: Argv<Connection>): void {
    const errorsBefore = c.reply.errors;
    this.errorMark = errorsBefore;
    // Only the outermost call of a dispatch may start from the time `dispatch` was handed.
    const start = this.startAt >= 0 ? this.startAt : performance.now();
    this.startAt = -1;
    this.engine.call(c, command, argv, this.clock.at(start));
    const end = performance.now();
    this.lastCallEnd = end;
    this.runEnd = end;
    const ms = end - start;
    if (this.monitors.size !== 0 && !command.has(Flag.SkipMonitor) && !command.has(Flag.Admin)) {
      this.feedMonitors(c.db.id, c.addr, this.shownArgs(command, argv));
    }
    // A call counts when it runs, blocked or not; the rest of its bookkeeping waits for the end of its wait, as in redis-server.
    command.stats.calls++;
    const blocking = this.engine.blocking;
    if (c.suspended || (blocking.size !== 0 && blocking.isBlocked(c))) {
      // Timed, logged and histogrammed when the wait ends (Connection.unblocked), as redis-server does.
      c.waitFor({ command, argv, ms, errors: errorsBefore });
    } else {
      // Nested calls move the mark past their errors: EXEC fails only by its own.
      this.recordCall(c, command, argv, ms, c.reply.errors !== this.errorMark);
    }
    this.errorMark = c.reply.errors;
  }

  /**
   * A blocked client's wait ended. As redis-server's handleClientsBlockedOnKeys, it
   * is accounted for and resumed after the command that woke it, or at once when a
   * timer woke it.
   */
  resumeAfterCommand(c: Connection): void {
    this.unblocked.push(c);
    if (this.current === null) this.resumeUnblocked();
  }

  private resumeUnblocked(): void {
    const woken = this.unblocked.splice(0);
    for (const c of woken) c.resume();
  }

  /**
   * The bookkeeping of a command that ran (or a blocked one that ended), but its
   * count of calls (execute): command time and failures, latency histogram, slow
   * log and latency monitor.
   */
  recordCall(c: Connection, command: Command<Connection>, argv: Argv<Connection>, ms: number, failed: boolean): void {
    const usec = ms * 1000;
    const stats = command.stats;
    stats.usec += usec;
    if (failed) stats.failedCalls++;
    if (this.latencyTracking) this.recordLatency(command, ms);
    if (usec >= this.slowlogThreshold && !command.has(Flag.SkipSlowlog)) {
      const config = this.broker.config;
      const shown = this.shownArgs(command, argv);
      this.broker.slowlog.push(shown, Math.floor(usec), c.addr, c.name, config.int('slowlog-max-len'));
    }
    if (this.latencyThreshold !== 0 && ms >= this.latencyThreshold) {
      this.broker.latency.addSample(command.has(Flag.Fast) ? 'fast-command' : 'command', Math.floor(ms));
    }
  }

  private recordLatency(command: Command<Connection>, ms: number): void {
    const histograms = this.broker.histograms;
    let histogram = histograms.get(command.original);
    if (histogram === undefined) {
      histogram = new LatencyHistogram();
      histograms.set(command.original, histogram);
    }
    histogram.record(ms * 1e6);
  }

  /** A command line as MONITOR and SLOWLOG show it: secrets redacted (no command taking values has any). */
  private shownArgs(command: Command<Connection>, argv: Argv<Connection>): readonly Arg[] {
    return Array.isArray(argv) ? redactArgv(command.fullname, argv, this.broker.config) : argsOf(argv);
  }

  /** Sends a command line to every MONITOR client; `source` is the client address or `lua`. */
  private feedMonitors(db: number, source: string, argv: readonly Arg[]): void {
    const line = monitorLine(db, source, argv);
    for (const m of this.monitors) {
      if (typeof line === 'string') m.reply.simple(line);
      else m.reply.simpleBytes(line);
      m.pushed();
    }
  }

  private reject(c: Connection, command: Command<Connection> | undefined, argv: Argv<Connection>, error: string): void {
    if (command !== undefined) command.stats.rejectedCalls++;
    flagTransaction(c);
    if (command?.fullname !== 'exec') return c.reply.error(error);
    // EXEC itself rejected: the transaction is discarded, and MONITOR still sees EXEC (execCommandAbort).
    c.reply.error(execAbortError(c, error));
    if (this.monitors.size !== 0) this.feedMonitors(c.db.id, c.addr, this.shownArgs(command, argv));
  }
}

/**
 * processCommand's is_denyloading_command: a command without the `loading` flag, or an
 * EXEC with such a command queued.
 */
function deniedWhileLoading(c: Connection, command: Command<Connection>): boolean {
  return !command.has(Flag.Loading) || execQueuedWithout(c, command, Flag.Loading);
}

function isSecurityAttack(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'post' || lower === 'host:';
}
