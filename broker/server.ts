/**
 * The broker process: owns the engine, the command table, the TCP listeners and the
 * connections, and dispatches each command (auth, pause, stats, slow log, MONITOR)
 * to the engine.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Engine } from '../engine/engine.js';
import { argsOf, CommandTable, Flag, ValueCall, type Arg, type Argv, type Command } from '../engine/command.js';
import { engineCommands } from '../engine/commands/index.js';
import { Config } from './config/config.js';
import { PARAMS, keyspaceEventFlags } from './config/params.js';
import { Connection } from './net/connection.js';
import type { LargeCommand } from '../protocol/parser.js';
import { createLogger, setLogLevel, type Logger } from './log.js';
import { brokerCommands } from './commands/index.js';
import { SlowLog } from './introspection/slowlog.js';
import { LatencyMonitor } from './introspection/latency.js';
import { LatencyHistogram } from './introspection/histogram.js';
import { InstantaneousMetric } from './introspection/instantaneous.js';
import { monitorLine } from './introspection/monitor.js';
import { redactArgv } from './introspection/redact.js';
import { isLocalClient } from './net/protected.js';
import { OutputLimits } from './net/output-limit.js';
import { discardTransaction, execAbortError, flagTransaction, queueIfInMulti, transactionState } from './dispatch/multi.js';
import { Persistence } from './persistence/persistence.js';
import { ReplyFlusher } from './net/reply-flusher.js';
import { LOADING_ERROR, LoadCancelled } from './persistence/loading.js';

export interface BrokerOptions {
  /** redis-server style arguments: optional config file, then `--name value` pairs. */
  args?: readonly string[];
  /** A logger to use instead of one built from `loglevel`/`logfile` (tests pass a silent one). */
  log?: Logger;
}

export interface BrokerStats {
  startedAt: number;
  totalConnectionsReceived: number;
  rejectedConnections: number;
  /** Error replies by their first word (INFO errorstats). */
  errors: Map<string, number>;
  totalErrorReplies: number;
  netInputBytes: number;
  netOutputBytes: number;
  readsProcessed: number;
  writesProcessed: number;
}

export type PauseMode = 'all' | 'write';

/**
 * What other command families know of a connection (pub/sub subscriptions, MULTI
 * state). The broker reports and acts on it (CLIENT LIST, `timeout`, CLIENT PAUSE
 * of EXEC, RESET, INFO); a family replaces the defaults when it registers.
 */
export interface ClientStateHooks {
  /** Channels, patterns and shard channels `c` is subscribed to. */
  subscriptions(c: Connection): readonly [number, number, number];
  /** Inside MULTI: commands queued and whether one of them writes; null otherwise. */
  transaction(c: Connection): { queued: number; writes: boolean } | null;
  /** RESET: discard MULTI state (RESET leaves subscriptions through the engine's pub/sub). */
  reset(c: Connection): void;
  /** Channels, patterns and shard channels with subscribers (INFO stats). */
  pubsubTotals(): readonly [number, number, number];
}

/** Commands a RESP2 client may run while subscribed (redis-server's processCommand). */
const SUBSCRIBED_MODE_COMMANDS = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

const NO_STATE: ClientStateHooks = {
  subscriptions: () => [0, 0, 0],
  transaction: () => null,
  reset: () => undefined,
  pubsubTotals: () => [0, 0, 0],
};

export interface ShutdownOptions {
  /** SHUTDOWN SAVE / NOSAVE: force or skip the final save; neither means "as configured". */
  save: boolean;
  nosave: boolean;
  /** Do not wait for lagging replicas. */
  now: boolean;
  /** Ignore errors of the final save and exit anyway. */
  force: boolean;
}

/** Work before the process goes (persistence flushes); returns an error text to abort. */
export type ShutdownHook = (options: ShutdownOptions) => Promise<string | null> | string | null;

const MAX_TIMER_MS = 2147483647;

const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set ' +
  'for the default user. In this mode connections are only accepted from the loopback interface. If you ' +
  'want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just ' +
  "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by " +
  'connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly ' +
  'accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively ' +
  "you can just disable the protected mode by editing the Redis configuration file, and setting the protected " +
  "mode option to 'no', and then restarting the server. 3) If you started the server manually just for " +
  "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the " +
  'default user. NOTE: You only need to do one of the above things in order for the server to start accepting ' +
  'connections from the outside.\r\n';

/** The broker could not listen where it was told to. */
export class ListenError extends Error {}

export class Broker {
  readonly config = new Config(PARAMS);
  readonly engine: Engine;
  readonly commands = new CommandTable<Connection>();
  readonly log: Logger;
  readonly connections = new Map<number, Connection>();
  readonly stats: BrokerStats = {
    startedAt: Date.now(),
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    errors: new Map(),
    totalErrorReplies: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
  };
  /** 40 hex characters identifying this run (INFO run_id). */
  readonly runId = randomBytes(20).toString('hex');
  /** Set by CLIENT PAUSE: until when, and whether all commands or only writes wait. */
  pause: { until: number; mode: PauseMode } | null = null;
  /** Connections in MONITOR mode. */
  readonly monitors = new Set<Connection>();
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  /** INFO latencystats: per command, while `latency-tracking` is on. */
  readonly histograms = new Map<Command<Connection>, LatencyHistogram>();
  clientState: ClientStateHooks = NO_STATE;
  readonly outputLimits: OutputLimits;
  readonly shutdownHooks: ShutdownHook[] = [];
  /** The AOF and snapshots (broker/persistence/persistence.ts). */
  readonly persistence: Persistence;
  /** Connections' replies, written at the end of each event-loop turn. */
  readonly replies = new ReplyFlusher(() => this.persistence.writer?.writeQueued());
  /** Called once SHUTDOWN (or a signal) has stopped the broker: main.ts exits the process. */
  onShutdown: (() => void) | null = null;
  readonly metrics = {
    ops: new InstantaneousMetric(),
    netInput: new InstantaneousMetric(),
    netOutput: new InstantaneousMetric(),
  };
  /** Memory in use once started, and the highest seen by the cron (INFO memory). */
  startupMemory = 0;
  peakMemory = 0;
  /** This broker's replication role (HELLO, INFO replication); replication changes it. */
  role: 'master' | 'replica' = 'master';

  private readonly servers: net.Server[] = [];
  private nextClientId = 1;
  private cronTimer: NodeJS.Timeout | null = null;
  private cronLoops = 0;
  private pauseTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  /** True while a command runs; clients unblocked meanwhile wait in `unblocked` until it ends. */
  private running = false;
  private readonly unblocked: Connection[] = [];
  /** Cached parameters read on every command: microseconds (Infinity when off) and ms (0 when off). */
  private slowlogThreshold = 0;
  private latencyThreshold = 0;
  private latencyTracking = true;
  /** Error replies counted when the last call began or ended (redis-server's prev_err_count). */
  private errorMark = 0;

  constructor(options: BrokerOptions = {}) {
    this.config.loadArgs(options.args ?? []);
    this.log = options.log ?? createLogger(this.config.get('loglevel'), this.config.get('logfile'));
    this.config.onChange('loglevel', (_, value) => setLogLevel(this.log, value));
    this.config.onChange('hz', () => this.startCron());
    this.config.onChange('requirepass', (_, value) => {
      // redis-server: with no password the default user needs no AUTH, even on open connections.
      if (value === '') for (const c of this.connections.values()) c.setAuthenticated(true);
    });
    this.config.onChange('proto-max-bulk-len', (_, value) => {
      for (const c of this.connections.values()) c.parser.maxBulkLen = Number(value);
      this.engine.settings.protoMaxBulkLen = Number(value);
    });
    const cacheThresholds = (): void => {
      const slower = this.config.int('slowlog-log-slower-than');
      this.slowlogThreshold = slower < 0 ? Infinity : slower;
      this.latencyThreshold = this.config.int('latency-monitor-threshold');
      this.latencyTracking = this.config.bool('latency-tracking');
    };
    cacheThresholds();
    for (const name of ['slowlog-log-slower-than', 'latency-monitor-threshold', 'latency-tracking']) {
      this.config.onChange(name, cacheThresholds);
    }
    this.engine = new Engine({ databases: this.config.int('databases') });
    this.engine.onInternalError = (err, command) =>
      this.log.error({ err, command }, `Internal error executing '${command}'; the client got an error reply`);
    const settings = this.engine.settings;
    settings.streamNodeMaxEntries = this.config.int('stream-node-max-entries');
    settings.streamNodeMaxBytes = this.config.int('stream-node-max-bytes');
    settings.protoMaxBulkLen = this.config.int('proto-max-bulk-len');
    this.config.onChange('stream-node-max-entries', (_, value) => {
      settings.streamNodeMaxEntries = Number(value);
    });
    this.config.onChange('stream-node-max-bytes', (_, value) => {
      settings.streamNodeMaxBytes = Number(value);
    });
    this.engine.notifyFlags = keyspaceEventFlags(this.config.get('notify-keyspace-events'));
    this.config.onChange('notify-keyspace-events', (_, value) => {
      this.engine.notifyFlags = keyspaceEventFlags(value);
    });
    this.commands.register(engineCommands);
    this.commands.register(brokerCommands);
    // Pub/sub state lives in the engine; the hooks report it from there.
    const pubsub = this.engine.pubsub;
    this.clientState = {
      ...this.clientState,
      subscriptions: (c) => {
        const s = c.subscriptions;
        return s === null ? [0, 0, 0] : [s.channel.size, s.pattern.size, s.shard.size];
      },
      pubsubTotals: () => [pubsub.count('channel'), pubsub.count('pattern'), pubsub.count('shard')],
    };
    this.clientState = { ...this.clientState, transaction: transactionState, reset: discardTransaction };
    this.outputLimits = new OutputLimits(this.config, this.log);
    this.persistence = new Persistence(this);
  }

  /** The port actually listened on (differs from the `port` parameter when that is 0). */
  get port(): number {
    const address = this.servers[0]?.address();
    return typeof address === 'object' && address !== null ? address.port : this.config.int('port');
  }

  /** Whether new connections must AUTH first (`requirepass` set). */
  get authRequired(): boolean {
    return this.config.get('requirepass') !== '';
  }

  async start(): Promise<void> {
    // Loading from the first listener on: a command that gets in before the load must be refused too.
    this.persistence.loading.begin();
    const port = this.config.int('port');
    for (const spec of this.config.get('bind').split(/\s+/).filter((s) => s !== '')) {
      // A leading '-' marks an address that may be unavailable (redis-server's syntax).
      const optional = spec.startsWith('-');
      const host = optional ? spec.slice(1) : spec;
      const server = net.createServer((socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          // With port 0 every address after the first reuses the port the first one got.
          server.listen(
            { port: this.servers.length > 0 ? this.port : port, host, backlog: this.config.int('tcp-backlog') },
            () => resolve(),
          );
        });
        this.servers.push(server);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === 'EADDRINUSE' ? 'bind: Address already in use' : (err as Error).message;
        this.log.warn(`Could not create server TCP listening socket ${host}:${port}: ${reason}`);
        if (!optional) {
          await this.stop();
          throw new ListenError(`Failed listening on port ${port} (tcp), aborting.`);
        }
      }
    }
    // As redis-server: bound first, then the dataset loaded while clients are answered
    // (most commands with -LOADING), then ready.
    try {
      await this.persistence.start();
    } catch (err) {
      // A cancelled load: the shutdown that cancelled it is stopping the broker.
      if (!(err instanceof LoadCancelled)) await this.stop();
      throw err;
    }
    this.startupMemory = usedMemory();
    this.peakMemory = this.startupMemory;
    this.startCron();
    this.log.info({ port: this.port }, 'Ready to accept connections');
  }

  async stop(): Promise<void> {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.cronTimer = null;
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    for (const c of [...this.connections.values()]) c.close();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    this.servers.length = 0;
    await this.persistence.stop();
  }

  /**
   * SHUTDOWN and the termination signals: runs the shutdown hooks, then stops and
   * calls `onShutdown`. Returns the error text when a hook failed and it is not forced.
   */
  async shutdown(options: ShutdownOptions): Promise<string | null> {
    if (this.shuttingDown) return null;
    this.shuttingDown = true;
    this.log.warn('User requested shutdown...');
    for (const hook of this.shutdownHooks) {
      const error = await hook(options);
      if (error !== null && !options.force) {
        this.log.warn(`Error trying to shut down: ${error}`);
        this.shuttingDown = false;
        return 'ERR Errors trying to SHUTDOWN. Check logs.';
      }
    }
    this.log.warn('Redis is now ready to exit, bye bye...');
    await this.stop();
    this.onShutdown?.();
    return null;
  }

  private accept(socket: net.Socket): void {
    this.stats.totalConnectionsReceived++;
    if (this.connections.size >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      socket.on('error', () => undefined);
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const keepAlive = this.config.int('tcp-keepalive');
    if (keepAlive > 0) socket.setKeepAlive(true, keepAlive * 1000);
    const c = new Connection(this, socket, this.nextClientId++);
    this.connections.set(c.id, c);
    if (this.config.bool('protected-mode') && !this.authRequired && !isLocalClient(c)) {
      // Without a password only the loopback interface may talk to us (redis-server's protected mode).
      this.stats.rejectedConnections++;
      c.reply.raw(PROTECTED_MODE_DENIED);
      c.closeAfterReply = true;
      c.flush();
    }
  }

  removeConnection(c: Connection): void {
    this.connections.delete(c.id);
    this.monitors.delete(c);
    this.engine.blocking.cancel(c);
    this.engine.pubsub.unsubscribeAll(c);
    this.engine.watches.unwatch(c);
  }

  /**
   * Runs one command line from a client, as redis-server's processCommand and call
   * do. Returns false when CLIENT PAUSE holds the command: the caller retries later.
   */
  dispatch(c: Connection, line: string[] | LargeCommand): boolean {
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
      c.lastCommand = found.command?.fullname ?? 'NULL';
      if (isSecurityAttack(argv[0])) {
        this.log.warn({ client: c.addr }, 'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis.');
        c.close();
        return true;
      }
      this.reject(c, found.command, argv, found.error);
      return true;
    }
    return this.dispatchCommand(c, found.command, argv);
  }

  /** `dispatch` once the command is known and its arity checked. */
  private dispatchCommand(c: Connection, command: Command<Connection>, argv: Argv<Connection>): boolean {
    // Set before running, as redis-server does: CLIENT INFO shows itself.
    c.lastCommand = command.fullname;
    if (!c.authenticated && !command.has(Flag.NoAuth)) {
      this.reject(c, command, argv, 'NOAUTH Authentication required.');
      return true;
    }
    if (c.multi !== null && command.has(Flag.NoMulti)) {
      this.reject(c, command, argv, 'ERR Command not allowed inside a transaction');
      return true;
    }
    // Writes (and PING, so monitoring notices) are refused while the disk refuses them.
    if (this.writesDenied(c, command)) {
      this.reject(c, command, argv, this.persistence.diskError()!);
      return true;
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
    if (this.persistence.loading.active && deniedWhileLoading(c, command)) {
      this.reject(c, command, argv, LOADING_ERROR);
      return true;
    }
    if (this.pause !== null && this.isPaused(c, command)) return false;
    if (c.multi !== null && queueIfInMulti(c, command, argv)) return true;
    this.running = true;
    try {
      this.execute(c, command, argv);
    } finally {
      this.running = false;
    }
    this.persistence.groupCommit.afterCommand(c, command, this.unblocked);
    if (this.unblocked.length !== 0) this.resumeUnblocked();
    return true;
  }

  /** writeCommandsDeniedByDiskError applied to a command (processCommand's is_write_command, and PING). */
  private writesDenied(c: Connection, command: Command<Connection>): boolean {
    if (this.persistence.diskError() === null) return false;
    return command.has(Flag.Write) || command.fullname === 'ping' || (command.fullname === 'exec' && c.multi?.writes === true);
  }

  /**
   * redis-server's call(): runs a validated command, then shows it to MONITOR and
   * counts it (stats, slow log). EXEC calls it for each queued command, nested.
   */
  execute(c: Connection, command: Command<Connection>, argv: Argv<Connection>): void {
    const errorsBefore = c.reply.errors;
    this.errorMark = errorsBefore;
    const start = performance.now();
    this.engine.call(c, command, argv);
    const ms = performance.now() - start;
    if (this.monitors.size !== 0 && !command.has(Flag.SkipMonitor) && !command.has(Flag.Admin)) {
      this.feedMonitors(c.db.id, c.addr, this.shownArgs(command, argv));
    }
    const blocking = this.engine.blocking;
    if (blocking.size !== 0 && blocking.isBlocked(c)) {
      // Counted when the wait ends (Connection.unblocked), as redis-server does.
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
    if (!this.running) this.resumeUnblocked();
  }

  private resumeUnblocked(): void {
    const woken = this.unblocked.splice(0);
    for (const c of woken) c.resume();
  }

  /**
   * The bookkeeping of a command that ran (or a blocked one that ended): command
   * stats, latency histogram, slow log and latency monitor.
   */
  recordCall(c: Connection, command: Command<Connection>, argv: Argv<Connection>, ms: number, failed: boolean): void {
    const usec = ms * 1000;
    const stats = command.stats;
    stats.usec += usec;
    stats.calls++;
    if (failed) stats.failedCalls++;
    if (this.latencyTracking) this.recordLatency(command, ms);
    if (usec >= this.slowlogThreshold && !command.has(Flag.SkipSlowlog)) {
      const shown = this.shownArgs(command, argv);
      this.slowlog.push(shown, Math.floor(usec), c.addr, c.name, this.config.int('slowlog-max-len'));
    }
    if (this.latencyThreshold !== 0 && ms >= this.latencyThreshold) {
      this.latency.addSample(command.has(Flag.Fast) ? 'fast-command' : 'command', Math.floor(ms));
    }
  }

  private recordLatency(command: Command<Connection>, ms: number): void {
    let histogram = this.histograms.get(command);
    if (histogram === undefined) {
      histogram = new LatencyHistogram();
      this.histograms.set(command, histogram);
    }
    histogram.record(ms * 1e6);
  }

  /** Sends a command line to every MONITOR client; `source` is the client address or `lua`. */
  /** A command line as MONITOR and SLOWLOG show it: secrets redacted (no command taking values has any). */
  private shownArgs(command: Command<Connection>, argv: Argv<Connection>): readonly Arg[] {
    return Array.isArray(argv) ? redactArgv(command.fullname, argv, this.config) : argsOf(argv);
  }

  feedMonitors(db: number, source: string, argv: readonly Arg[]): void {
    const line = monitorLine(db, source, argv);
    for (const m of this.monitors) {
      m.reply.raw(line);
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

  /** True when CLIENT PAUSE holds this command back. */
  private isPaused(c: Connection, command: Command<Connection>): boolean {
    const pause = this.pause!;
    if (Date.now() >= pause.until) {
      this.unpause();
      return false;
    }
    if (pause.mode === 'all') return true;
    if (command.has(Flag.Write) || command.has(Flag.MayReplicate)) return true;
    return command.fullname === 'exec' && this.clientState.transaction(c)?.writes === true;
  }

  /** CLIENT PAUSE: the longer of the current and new pause, the stronger of the modes. */
  pauseClients(until: number, mode: PauseMode): void {
    const current = this.pause;
    this.pause = {
      until: current === null ? until : Math.max(current.until, until),
      mode: current?.mode === 'all' ? 'all' : mode,
    };
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.checkPause();
  }

  private checkPause(): void {
    if (this.pause === null) return;
    const left = this.pause.until - Date.now();
    if (left <= 0) return this.unpause();
    // Timers cannot wait longer than 2^31-1 ms: wait in steps.
    this.pauseTimer = setTimeout(() => this.checkPause(), Math.min(left, MAX_TIMER_MS));
    this.pauseTimer.unref();
  }

  /** Ends CLIENT PAUSE and lets the held clients run their commands. */
  unpause(): void {
    this.pause = null;
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    // Resumed later in this turn: the caller may be one of them, mid-command.
    setImmediate(() => {
      for (const c of this.connections.values()) if (c.heldCommand !== null) c.processInput();
    });
  }

  countError(message: string): void {
    const space = message.indexOf(' ');
    const code = space < 0 ? message : message.slice(0, space);
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
    this.stats.totalErrorReplies++;
  }

  /** CONFIG RESETSTAT: the counters INFO reports, not the slow log nor latency events. */
  resetStats(): void {
    const s = this.stats;
    s.totalConnectionsReceived = 0;
    s.rejectedConnections = 0;
    s.errors.clear();
    s.totalErrorReplies = 0;
    s.netInputBytes = 0;
    s.netOutputBytes = 0;
    s.readsProcessed = 0;
    s.writesProcessed = 0;
    const e = this.engine.stats;
    for (const key of Object.keys(e) as (keyof typeof e)[]) e[key] = 0;
    for (const command of this.commands.commands()) {
      for (const cmd of [command, ...(command.subcommands?.values() ?? [])]) {
        Object.assign(cmd.stats, { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 });
      }
    }
    this.histograms.clear();
    const now = Date.now();
    this.metrics.ops.reset(0, now);
    this.metrics.netInput.reset(0, now);
    this.metrics.netOutput.reset(0, now);
  }

  /** redis-server's serverCron: periodic work at `hz` times a second. */
  private startCron(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    const hz = this.config.int('hz');
    this.cronTimer = setInterval(() => this.cron(hz), 1000 / hz);
    this.cronTimer.unref();
  }

  private cron(hz: number): void {
    const now = Date.now();
    if (this.pause !== null && now >= this.pause.until) this.unpause();
    // Keys do not expire while clients are paused (their writes would be held too), nor
    // during the load (what the rest of the AOF does to a key must find it as it was).
    // The slow expire cycle may use a quarter of each tick, as in redis-server.
    if (this.pause === null && !this.persistence.loading.active) this.engine.activeExpireCycle(250 / hz);
    const every = (ms: number): boolean => ms <= 1000 / hz || this.cronLoops % Math.round(ms / (1000 / hz)) === 0;
    if (every(100)) {
      this.metrics.ops.sample(this.engine.stats.totalCommands, now);
      this.metrics.netInput.sample(this.stats.netInputBytes, now);
      this.metrics.netOutput.sample(this.stats.netOutputBytes, now);
      this.peakMemory = Math.max(this.peakMemory, usedMemory());
    }
    if (every(1000)) this.closeIdleClients(now);
    this.cronLoops++;
  }

  /** `timeout`: closes normal clients idle for longer, as redis-server's clientsCronHandleTimeout. */
  private closeIdleClients(now: number): void {
    const timeout = this.config.int('timeout');
    if (timeout === 0) return;
    for (const c of [...this.connections.values()]) {
      if (now - c.lastInteraction <= timeout * 1000) continue;
      if (c.monitor || c.heldCommand !== null || this.engine.blocking.isBlocked(c)) continue;
      const [channels, patterns, shard] = this.clientState.subscriptions(c);
      if (channels + patterns + shard > 0) continue;
      this.log.debug({ client: c.addr }, 'Closing idle client');
      c.close();
    }
  }
}

/** Memory the process uses for data, as INFO used_memory reports it. */
export function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * processCommand's is_denyloading_command: a command without the `loading` flag, or an
 * EXEC with such a command queued.
 */
function deniedWhileLoading(c: Connection, command: Command<Connection>): boolean {
  if (!command.has(Flag.Loading)) return true;
  return command.fullname === 'exec' && c.multi !== null && c.multi.queue.some((q) => !q.command.has(Flag.Loading));
}

function isSecurityAttack(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'post' || lower === 'host:';
}
