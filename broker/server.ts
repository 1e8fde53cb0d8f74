/**
 * The broker process, the hub the other modules hang from: owns the engine, the
 * command table, the TCP listeners and the connections, start-up, shutdown and the
 * cron. Each module gets only the part of `Broker` it uses (`ConnectionHost`,
 * `CommandHost`, `DispatchHost`, `PersistenceHost`); subsystems (replication, HTTP,
 * the gateway to come) bring their own state rather than new fields here
 * (ARCHITECTURE.md, "Layers" and "Subsystems").
 */
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Engine } from '../engine/engine.js';
import { errorLine } from '../protocol/reply.js';
import { MAXCLIENTS, SHUTDOWN_FAILED } from '../engine/errors.js';
import { CommandTable, type Command } from '../engine/command.js';
import { engineCommands } from '../engine/commands/index.js';
import { setUpScripting } from './scripting.js';
import { Config } from './config/config.js';
import { PARAMS, keyspaceEventFlags } from './config/params.js';
import { Connection } from './net/connection.js';
import { createLogger, setLogLevel, type Logger } from './log.js';
import { brokerCommands } from './commands/index.js';
import { connectTracking } from './commands/tracking.js';
import { SlowLog } from './introspection/slowlog.js';
import { LatencyMonitor } from './introspection/latency.js';
import type { LatencyHistogram } from './introspection/histogram.js';
import { InstantaneousMetric } from './introspection/instantaneous.js';
import { MemoryUsage } from './introspection/memory.js';
import { isLocalClient } from './net/protected.js';
import { OutputLimits } from './net/output-limit.js';
import { ClientMemory } from './net/client-memory.js';
import { checkOpenFilesLimit, maxclientsRefusal, openFilesLimit } from './net/fd-limit.js';
import { guarded, type GuardedClient } from './guard.js';
import { ConfigError } from './config/config.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { ClientPause } from './dispatch/pause.js';
import { Persistence } from './persistence/persistence.js';
import { ReplyFlusher } from './net/reply-flusher.js';
import { LoadCancelled } from './persistence/loading.js';
import type { RespPortHttp } from './net/resp-http.js';
import { REDIS_VERSION } from './version.js';
import { strerror } from './persistence/strerror.js';

export interface BrokerOptions {
  /** redis-server style arguments: optional config file, then `--name value` pairs. */
  args?: readonly string[];
  /** A logger to use instead of one built from `loglevel`/`logfile` (tests pass a silent one). */
  log?: Logger;
  /** Answers a `GET /metrics` sent to the RESP port (broker/net/resp-http.ts); without it such a request is RESP. */
  respPortHttp?: RespPortHttp;
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
  /** What followers read from their leader and leaders write to followers, counted apart as redis-server does. */
  netReplInputBytes: number;
  netReplOutputBytes: number;
  readsProcessed: number;
  writesProcessed: number;
}

export interface ShutdownOptions {
  /** SHUTDOWN SAVE / NOSAVE: force or skip the final save; neither means "as configured". */
  save: boolean;
  nosave: boolean;
  /** Do not wait for lagging replicas. */
  now: boolean;
  /** Ignore errors of the final save and exit anyway. */
  force: boolean;
}

/** Why a shutdown did not happen: the error for the client that asked, and whether SHUTDOWN ABORT cancelled it. */
export interface ShutdownRefusal {
  error: string;
  aborted: boolean;
}

/**
 * Work before the process goes (persistence flushes); returns an error text to abort.
 * `aborted` fires on SHUTDOWN ABORT: a hook that waits stops waiting.
 */
export type ShutdownHook = (options: ShutdownOptions, aborted: AbortSignal) => Promise<string | null> | string | null;

const PROTECTED_MODE_DENIED =
  'DENIED Redis is running in protected mode because protected mode is enabled and no password is set ' +
  'for the default user. In this mode connections are only accepted from the loopback interface. If you ' +
  'want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just ' +
  "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by " +
  'connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly ' +
  'accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively ' +
  "you can just disable the protected mode by editing the Redis configuration file, and setting the protected " +
  "mode option to 'no', and then restarting the server. 3) If you started the server manually just for " +
  "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the " +
  'default user. NOTE: You only need to do one of the above things in order for the server to start accepting ' +
  'connections from the outside.';

/** What a connection itself uses of the broker (broker/net/connection.ts). */
export type ConnectionHost = Pick<
  Broker,
  | 'engine'
  | 'config'
  | 'log'
  | 'stats'
  | 'authRequired'
  | 'dispatcher'
  | 'replies'
  | 'clockMs'
  | 'outputLimits'
  | 'clientMemory'
  | 'guard'
  | 'countError'
  | 'removeConnection'
  | 'respPortHttp'
> & { readonly persistence: Pick<Persistence, 'groupCommit'> };

/**
 * What the broker's commands (broker/commands/) use of it, through their connection's
 * `broker`: neither the listeners, nor dispatch's entry point, nor the output path.
 */
export type CommandHost = Pick<
  Broker,
  | 'abortShutdown'
  | 'authRequired'
  | 'clientMemory'
  | 'commands'
  | 'config'
  | 'connections'
  | 'dispatcher'
  | 'engine'
  | 'histograms'
  | 'latency'
  | 'log'
  | 'memory'
  | 'metrics'
  | 'monitors'
  | 'pause'
  | 'persistence'
  | 'port'
  | 'rebind'
  | 'resetStats'
  | 'runId'
  | 'shutdown'
  | 'slowlog'
  | 'stats'
>;

/** redis-server's `save` when its configuration has none. */
const REDIS_DEFAULT_SAVE = '3600 1 300 100 60 10000';
/** `encodeWhileIdle` uses this share of the event loop's idle time in the last cron tick. */
const IDLE_SHARE = 0.5;
/** `encodeWhileIdle` stops once used memory passes this share of `maxmemory`. */
const IDLE_MEMORY_SHARE = 0.75;
/** One slice of idle work: what a client arriving meanwhile may wait for. */
const IDLE_SLICE_MS = 2;

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
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
  };
  /** 40 hex characters identifying this run (INFO run_id). */
  readonly runId = randomBytes(20).toString('hex');
  /** CLIENT PAUSE. */
  readonly pause = new ClientPause();
  /** Connections in MONITOR mode. */
  readonly monitors = new Set<Connection>();
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  /** INFO latencystats: per command, while `latency-tracking` is on. */
  readonly histograms = new Map<Command<Connection>, LatencyHistogram>();
  readonly outputLimits: OutputLimits;
  /** Every client's memory, and maxmemory-clients (broker/net/client-memory.ts). */
  readonly clientMemory: ClientMemory;
  readonly shutdownHooks: ShutdownHook[] = [];
  /** The AOF and snapshots (broker/persistence/persistence.ts). */
  readonly persistence: Persistence;
  /**
   * The time (ms since the epoch) at the last cron tick, as redis-server's server.unixtime:
   * what a client's reads are stamped with (CLIENT LIST idle, `timeout`), a clock read per
   * tick instead of per read.
   */
  clockMs = Date.now();
  /** Connections' replies, written at the end of each event-loop turn. */
  readonly replies = new ReplyFlusher(() => this.persistence.writer?.writeQueued());
  /** Runs each command a connection reads (broker/dispatch/dispatcher.ts). */
  readonly dispatcher: Dispatcher;
  /** Called once SHUTDOWN (or a signal) has stopped the broker: main.ts exits the process. */
  onShutdown: (() => void) | null = null;
  readonly metrics = {
    ops: new InstantaneousMetric(),
    netInput: new InstantaneousMetric(),
    netOutput: new InstantaneousMetric(),
    netReplInput: new InstantaneousMetric(),
    netReplOutput: new InstantaneousMetric(),
  };
  /** Memory in use once started, and the highest seen (INFO memory). */
  readonly memory: MemoryUsage;
  /** The HTTP server's answer to a scrape on the RESP port, given by main.ts (broker/http/ keeps its state). */
  readonly respPortHttp: RespPortHttp | null;

  private readonly servers: net.Server[] = [];
  /** refuseNewClients: a signalled shutdown is under way. */
  private refusingClients = false;
  private nextClientId = 1;
  private cronTimer: NodeJS.Timeout | null = null;
  private cronLoops = 0;
  /** The event loop's use when the cron last looked (`encodeWhileIdle`). */
  private loopUse = performance.eventLoopUtilization();
  /** Slices of `encodeWhileIdle` are running. */
  private encodingSealed = false;
  private shuttingDown = false;
  /** Set while the shutdown hooks run: SHUTDOWN ABORT can still cancel it. */
  private shutdownAbort: AbortController | null = null;

  constructor(options: BrokerOptions = {}) {
    this.config.loadArgs(options.args ?? []);
    // Snapshots are off by default because the AOF is on: a configuration that turns the
    // AOF off without a `save` line (Debian's redis.conf) keeps redis-server's snapshots.
    if (!this.config.bool('appendonly') && !this.config.configured.has('save')) this.config.assign('save', REDIS_DEFAULT_SAVE);
    this.respPortHttp = options.respPortHttp ?? null;
    this.log =
      options.log ??
      createLogger({
        level: this.config.get('loglevel'),
        file: this.config.get('logfile'),
        format: this.config.get('log-format'),
        role: () => (this.config.get('replicaof') === '' ? 'M' : 'S'),
      });
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
    settings.hllSparseMaxBytes = this.config.int('hll-sparse-max-bytes');
    this.config.onChange('hll-sparse-max-bytes', (_, value) => {
      settings.hllSparseMaxBytes = Number(value);
    });
    const limits = {
      'hash-max-listpack-entries': 'hashMaxListpackEntries',
      'hash-max-listpack-value': 'hashMaxListpackValue',
      'set-max-intset-entries': 'setMaxIntsetEntries',
      'zset-max-listpack-entries': 'zsetMaxListpackEntries',
      'zset-max-listpack-value': 'zsetMaxListpackValue',
    } as const;
    for (const [name, field] of Object.entries(limits)) {
      settings[field] = this.config.int(name);
      this.config.onChange(name, (_, value) => {
        settings[field] = Number(value);
      });
    }
    // An LFU policy turns the engine's access words into LFU counters (OBJECT FREQ).
    this.engine.setMaxmemoryPolicy(this.config.get('maxmemory-policy'));
    this.config.onChange('maxmemory-policy', (_, value) => this.engine.setMaxmemoryPolicy(value));
    this.engine.lfuLogFactor = this.config.int('lfu-log-factor');
    this.engine.lfuDecayTime = this.config.int('lfu-decay-time');
    this.config.onChange('lfu-log-factor', (_, value) => void (this.engine.lfuLogFactor = Number(value)));
    this.config.onChange('lfu-decay-time', (_, value) => void (this.engine.lfuDecayTime = Number(value)));
    this.engine.notifyFlags = keyspaceEventFlags(this.config.get('notify-keyspace-events'));
    this.config.onChange('notify-keyspace-events', (_, value) => {
      this.engine.notifyFlags = keyspaceEventFlags(value);
    });
    this.pause.onChange = (paused) => {
      this.engine.deletionsPaused = paused;
    };
    connectTracking(this.engine, this.config, this.connections, (fn) => this.guard('sending invalidations', fn));
    this.commands.register(engineCommands);
    this.commands.register(brokerCommands);
    for (const [from, to] of this.config.renamedCommands) {
      const refusal = this.commands.rename(from, to);
      if (refusal !== null) throw new ConfigError(`\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n>>> 'rename-command ${from} ${to}'\n${refusal}`);
    }
    this.outputLimits = new OutputLimits(this.config, this.log);
    this.clientMemory = new ClientMemory(this.config, this.log);
    this.fitMaxclientsToOpenFiles();
    this.persistence = new Persistence(this);
    this.memory = new MemoryUsage(this);
    this.dispatcher = new Dispatcher(this);
    setUpScripting(this);
  }

  /**
   * Lowers maxclients to what the open-files limit holds, and refuses CONFIG SET
   * beyond it (broker/net/fd-limit.ts). Throws ConfigError when nothing fits.
   */
  private fitMaxclientsToOpenFiles(): void {
    const verdict = checkOpenFilesLimit(this.config.int('maxclients'), openFilesLimit(), this.log);
    if ('fatal' in verdict) throw new ConfigError(verdict.fatal);
    if ('maxclients' in verdict) this.config.set('maxclients', String(verdict.maxclients));
    this.config.onChange('maxclients', (_, value) => maxclientsRefusal(Number(value), this.log));
  }

  /** `fn` guarded against exceptions (broker/guard.ts): logged, and `client` disconnected, instead of ending the process. */
  guard<A = void, B = void, C = void>(what: string, fn: (a: A, b: B, c: C) => void, client?: GuardedClient): (a: A, b: B, c: C) => void {
    return guarded(this.log, what, fn, client);
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
    this.reportNoEffectParams();
    this.writePidFile();
    // Loading from the first listener on: a command that gets in before the load must be refused too.
    this.persistence.loading.begin();
    const port = this.config.int('port');
    const servers = await this.listenAll(this.config.get('bind'), port);
    if (servers === null) {
      await this.stop();
      throw new ListenError(`Failed listening on port ${port} (tcp), aborting.`);
    }
    this.servers.push(...servers);
    // As redis-server: bound first, then the dataset loaded while clients are answered
    // (most commands with -LOADING), then ready. The memory baseline is taken before the load.
    this.memory.started();
    try {
      await this.persistence.start();
    } catch (err) {
      // A cancelled load: the shutdown that cancelled it is stopping the broker.
      if (!(err instanceof LoadCancelled)) await this.stop();
      throw err;
    }
    this.startCron();
    this.log.info(`Ready to accept connections tcp on ${this.listeningAddresses().join(' ')}`);
  }

  /**
   * Listeners on every `bind` address at `port` (redis-server's listenToPort): an
   * address with a leading '-' may be unavailable; any other failure (logged) closes
   * what was opened and gives null. With port 0 the addresses share the first one's port.
   */
  private async listenAll(bind: string, port: number): Promise<net.Server[] | null> {
    const servers: net.Server[] = [];
    for (const spec of bind === '' ? [] : bind.split(' ')) {
      // A leading '-' marks an address that may be unavailable (redis-server's syntax).
      const optional = spec.startsWith('-');
      const host = listenHost(optional ? spec.slice(1) : spec);
      const at = servers.length > 0 ? (servers[0].address() as net.AddressInfo).port : port;
      try {
        servers.push(await this.listenOn(host, at));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === 'EADDRINUSE' ? 'bind: Address already in use' : (err as Error).message;
        this.log.warn(`Could not create server TCP listening socket ${host}:${at}: ${reason}`);
        if (!optional) {
          await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
          return null;
        }
      }
    }
    return servers;
  }

  private async listenOn(host: string, port: number): Promise<net.Server> {
    // An empty address (two spaces in `bind`) fails, as it does in redis-server.
    if (host === '') throw new Error('Name or service not known');
    const server = net.createServer((socket) => {
      // The peer is formatted only for a failure's log line.
      const dropped = { get addr(): string { return formatPeer(socket); }, close: () => socket.destroy() };
      this.guard('accepting a client', () => this.accept(socket), dropped)();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, ipv6Only: host === '::', backlog: this.config.int('tcp-backlog') }, () => resolve());
    });
    server.removeAllListeners('error');
    // Failures to accept (EMFILE, ENFILE: out of descriptors) end no one: the peer is dropped, as redis-server's acceptTcpHandler does.
    server.on('error', (err: NodeJS.ErrnoException) => this.log.warn(`Accepting client connection: ${acceptError(err)}`));
    return server;
  }

  /**
   * CONFIG SET port/bind (redis-server's changeBindAddr and changeListenPort): the old
   * listeners closed (open connections stay), then listening where `port` and `bind` now
   * say; on failure, listening again where it was (`previous`) and the answer is false.
   */
  async rebind(previous: { bind: string; port: number }): Promise<boolean> {
    const oldPort = this.port;
    // Not awaited: close() calls back only once the connections it accepted are gone, and
    // they stay. The address is free at once (libuv closes the descriptor synchronously).
    for (const server of this.servers.splice(0)) server.close();
    const servers = await this.listenAll(this.config.get('bind'), this.config.int('port'));
    if (servers !== null) {
      this.servers.push(...servers);
      this.log.info(`Listening again, on ${this.listeningAddresses().join(' ')}`);
      return true;
    }
    const restored = await this.listenAll(previous.bind, previous.port === 0 ? oldPort : previous.port);
    if (restored === null) this.log.warn('Failed to restore the old listeners: no TCP listener is left');
    else this.servers.push(...restored);
    return false;
  }

  /** Where the listeners are, as `host:port` (IPv6 in brackets). */
  private listeningAddresses(): string[] {
    return this.servers.flatMap((s) => {
      const a = s.address();
      if (a === null || typeof a === 'string') return [];
      return [a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`];
    });
  }

  /**
   * One warning line naming the parameters the configuration set that have no effect
   * here (params.ts, `noEffect`), with their values: accepted, never silently pretended.
   */
  private reportNoEffectParams(): void {
    const inert = [...this.config.configured].filter((name) => this.config.spec(name)?.noEffect === true);
    if (inert.length === 0) return;
    const listed = inert.map((name) => `${name} ${JSON.stringify(this.config.shown(name))}`).join(', ');
    this.log.warn(`Configuration accepted with no effect in this broker: ${listed} (README, "Accepted, no effect")`);
  }

  /** `pidfile`: the process id written at start and removed at the end; a failure is only logged, as in redis-server. */
  private writePidFile(): void {
    const file = this.config.get('pidfile');
    if (file === '') return;
    try {
      writeFileSync(file, `${process.pid}\n`);
    } catch (err) {
      this.log.warn(`Failed to write PID file: ${strerror(err)}`);
    }
  }

  private removePidFile(): void {
    const file = this.config.get('pidfile');
    if (file !== '') rmSync(file, { force: true });
  }

  /**
   * While on, a new connection is closed as soon as it is accepted, unanswered (a
   * signalled shutdown, while followers catch up); the clients connected are served
   * until the end. The listeners stay open, so SHUTDOWN ABORT can turn it off.
   */
  refuseNewClients(on: boolean): void {
    this.refusingClients = on;
  }

  async stop(): Promise<void> {
    this.dispatcher.maxmemory.stop();
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.cronTimer = null;
    this.pause.clearTimer();
    for (const c of [...this.connections.values()]) c.close();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    this.servers.length = 0;
    await this.persistence.stop();
    this.removePidFile();
  }

  /**
   * SHUTDOWN and the termination signals: runs the shutdown hooks, then stops and
   * calls `onShutdown`. Returns why not when a hook failed and it is not forced, or
   * SHUTDOWN ABORT cancelled it.
   */
  async shutdown(options: ShutdownOptions): Promise<ShutdownRefusal | null> {
    if (this.shuttingDown) return null;
    this.shuttingDown = true;
    const abort = new AbortController();
    this.shutdownAbort = abort;
    this.log.info('User requested shutdown...');
    for (const hook of this.shutdownHooks) {
      const error = await hook(options, abort.signal);
      if (abort.signal.aborted || (error !== null && !options.force)) {
        if (!abort.signal.aborted) this.log.warn(`Error trying to shut down: ${error}`);
        this.shuttingDown = false;
        this.shutdownAbort = null;
        return { error: SHUTDOWN_FAILED, aborted: abort.signal.aborted };
      }
    }
    this.shutdownAbort = null;
    this.log.info('Redis is now ready to exit, bye bye...');
    await this.stop();
    this.onShutdown?.();
    return null;
  }

  /** SHUTDOWN ABORT (abortShutdown): false when no shutdown can be cancelled any more. */
  abortShutdown(): boolean {
    const abort = this.shutdownAbort;
    if (abort === null || abort.signal.aborted) return false;
    abort.abort();
    this.log.info('Shutdown manually aborted.');
    return true;
  }

  /**
   * Takes a new client connection: the listeners' sockets, and the WebSocket gateway's
   * in-process ones (broker/gateway/link.ts), under the same maxclients and protected mode.
   */
  accept(socket: net.Socket): void {
    if (this.refusingClients) {
      socket.destroy();
      return;
    }
    this.stats.totalConnectionsReceived++;
    if (this.connections.size >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      socket.on('error', () => undefined);
      // Closed once written, whatever the peer does: a half-closed socket would keep its descriptor.
      socket.end(errorLine(MAXCLIENTS), () => socket.destroy());
      return;
    }
    const keepAlive = this.config.int('tcp-keepalive');
    if (keepAlive > 0) socket.setKeepAlive(true, keepAlive * 1000);
    const c = new Connection(this, socket, this.nextClientId++, true);
    this.connections.set(c.id, c);
    if (this.config.bool('protected-mode') && !this.authRequired && !isLocalClient(c)) {
      // Without a password only the loopback interface may talk to us (redis-server's protected mode).
      this.stats.rejectedConnections++;
      // Written as redis-server does (connWrite), not as a reply: no error statistics.
      c.closeAfterReply = true;
      socket.end(errorLine(PROTECTED_MODE_DENIED), () => socket.destroy());
      c.close();
    }
  }

  /** Registers a connection this broker opened itself (the link from its leader): an id, and a place among the clients. */
  adopt<C extends Connection>(make: (id: number) => C): C {
    const c = make(this.nextClientId++);
    this.connections.set(c.id, c);
    return c;
  }

  removeConnection(c: Connection): void {
    this.connections.delete(c.id);
    this.clientMemory.remove(c);
    this.monitors.delete(c);
    this.engine.blocking.cancel(c);
    this.engine.pubsub.unsubscribeAll(c);
    this.engine.watches.unwatch(c);
    this.engine.tracking.disable(c);
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
    s.netReplInputBytes = 0;
    s.netReplOutputBytes = 0;
    s.readsProcessed = 0;
    s.writesProcessed = 0;
    this.clientMemory.evicted = 0;
    this.engine.evictor.evictedKeys = 0;
    this.dispatcher.maxmemory.resetStats();
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
    this.metrics.netReplInput.reset(0, now);
    this.metrics.netReplOutput.reset(0, now);
  }

  /** redis-server's serverCron: periodic work at `hz` times a second. */
  private startCron(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    const hz = this.config.int('hz');
    this.cronTimer = setInterval(this.guard('in the cron', () => this.cron(hz)), 1000 / hz);
    this.cronTimer.unref();
  }

  private cron(hz: number): void {
    const now = Date.now();
    this.clockMs = now;
    this.dispatcher.clock.resync();
    this.pause.expire(now);
    // Keys do not expire while clients are paused (their writes would be held too), nor
    // during the load (what the rest of the AOF does to a key must find it as it was).
    // The slow expire cycle may use a quarter of each tick, more with active-expire-effort
    // (redis-server's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC + 2 * (effort - 1) percent).
    const percent = 25 + 2 * (this.config.int('active-expire-effort') - 1);
    if (!this.pause.active && !this.persistence.loading.active) this.engine.activeExpireCycle((percent * 10) / hz);
    const every = (ms: number): boolean => ms <= 1000 / hz || this.cronLoops % Math.round(ms / (1000 / hz)) === 0;
    if (every(100)) {
      this.metrics.ops.sample(this.engine.stats.totalCommands, now);
      this.metrics.netInput.sample(this.stats.netInputBytes, now);
      this.metrics.netOutput.sample(this.stats.netOutputBytes, now);
      this.metrics.netReplInput.sample(this.stats.netReplInputBytes, now);
      this.metrics.netReplOutput.sample(this.stats.netReplOutputBytes, now);
      this.memory.sample();
    }
    this.encodeWhileIdle(1000 / hz);
    if (every(1000)) {
      this.closeIdleClients(now);
      this.clientMemory.sampleRecent(this.connections.values(), Math.floor(now / 1000));
    }
    this.cronLoops++;
  }

  /**
   * Idle work: the stream nodes XADD closed get the RDB encoding snapshots copy
   * (Engine.encodeSealedNodes, engine/sealed-nodes.ts), for half the time the event loop
   * was idle in the last tick, in slices of 2 ms with clients served between them. A
   * server kept busy, or near its `maxmemory`, leaves them to its next snapshot.
   */
  private encodeWhileIdle(tickMs: number): void {
    const use = performance.eventLoopUtilization(this.loopUse).utilization;
    this.loopUse = performance.eventLoopUtilization();
    let left = (1 - use) * tickMs * IDLE_SHARE;
    if (this.encodingSealed || left < IDLE_SLICE_MS / 2 || this.engine.sealedNodes.pending === 0) return;
    // The kept bytes would take memory the data may need.
    const limit = this.dispatcher.maxmemory.limit;
    if (limit !== 0 && this.memory.figures().used > limit * IDLE_MEMORY_SHARE) return;
    const slice = this.guard('encoding stream nodes', () => {
      this.encodingSealed = false;
      const started = performance.now();
      const done = this.engine.encodeSealedNodes(Math.min(IDLE_SLICE_MS, left));
      left -= performance.now() - started;
      if (done || left <= 0) return;
      this.encodingSealed = true;
      setImmediate(slice);
    });
    slice();
  }

  /** `timeout`: closes normal clients idle for longer, as redis-server's clientsCronHandleTimeout. */
  private closeIdleClients(now: number): void {
    const timeout = this.config.int('timeout');
    if (timeout === 0) return;
    for (const c of [...this.connections.values()]) {
      if (now - c.lastInteraction <= timeout * 1000) continue;
      if (c.monitor || c.heldCommand !== null || this.engine.blocking.isBlocked(c)) continue;
      if (c.subscriptions !== null) continue;
      this.log.debug({ client: c.addr }, 'Closing idle client');
      c.close();
    }
  }
}

/** redis-server's wildcard addresses: `*` every IPv4 one, `::*` every IPv6 one. */
function listenHost(address: string): string {
  if (address === '*') return '0.0.0.0';
  if (address === '::*') return '::';
  return address;
}

/** A peer for a log line before it is a client. */
function formatPeer(socket: net.Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}

/** accept(2)'s failure as redis-server's anetTcpAccept reports it: `accept: <strerror>`. */
function acceptError(err: NodeJS.ErrnoException): string {
  const text: Record<string, string> = { EMFILE: 'Too many open files', ENFILE: 'Too many open files in system' };
  return `accept: ${(err.code !== undefined ? text[err.code] : undefined) ?? err.message}`;
}
