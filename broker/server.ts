/**
 * The broker process: owns the engine, the command table, the TCP listeners and the
 * connections, and dispatches each command (auth, pause, stats) to the engine.
 */
import net from 'node:net';
import { Engine } from '../engine/engine.js';
import { CommandTable, Flag, type Command } from '../engine/command.js';
import { engineCommands } from '../engine/commands/index.js';
import { Config } from './config.js';
import { PARAMS } from './params.js';
import { Connection } from './connection.js';
import { createLogger, setLogLevel, type Logger } from './log.js';
import { brokerCommands } from './commands/index.js';

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
}

export type PauseMode = 'all' | 'write';

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
  };
  /** Set by CLIENT PAUSE: until when, and whether all commands or only writes wait. */
  pause: { until: number; mode: PauseMode } | null = null;

  private readonly servers: net.Server[] = [];
  private nextClientId = 1;
  private cronTimer: NodeJS.Timeout | null = null;

  constructor(options: BrokerOptions = {}) {
    this.config.loadArgs(options.args ?? []);
    this.log = options.log ?? createLogger(this.config.get('loglevel'), this.config.get('logfile'));
    this.config.onChange('loglevel', (_, value) => setLogLevel(this.log, value));
    this.config.onChange('hz', () => this.startCron());
    this.engine = new Engine({ databases: this.config.int('databases') });
    const settings = this.engine.settings;
    settings.streamNodeMaxEntries = this.config.int('stream-node-max-entries');
    settings.streamNodeMaxBytes = this.config.int('stream-node-max-bytes');
    this.config.onChange('stream-node-max-entries', (_, value) => {
      settings.streamNodeMaxEntries = Number(value);
    });
    this.config.onChange('stream-node-max-bytes', (_, value) => {
      settings.streamNodeMaxBytes = Number(value);
    });
    this.commands.register(engineCommands);
    this.commands.register(brokerCommands);
  }

  /** The port actually listened on (differs from the `port` parameter when that is 0). */
  get port(): number {
    const address = this.servers[0]?.address();
    return typeof address === 'object' && address !== null ? address.port : this.config.int('port');
  }

  async start(): Promise<void> {
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
          server.listen(this.servers.length > 0 ? this.port : port, host, () => resolve());
        });
        this.servers.push(server);
      } catch (err) {
        if (!optional) throw err;
        this.log.warn(`Could not bind ${host}: ${(err as Error).message}`);
      }
    }
    this.startCron();
    this.log.info({ port: this.port }, 'Ready to accept connections tcp');
  }

  async stop(): Promise<void> {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.cronTimer = null;
    for (const c of [...this.connections.values()]) c.close();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    this.servers.length = 0;
  }

  private accept(socket: net.Socket): void {
    this.stats.totalConnectionsReceived++;
    if (this.connections.size >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const c = new Connection(this, socket, this.nextClientId++);
    this.connections.set(c.id, c);
  }

  removeConnection(c: Connection): void {
    this.connections.delete(c.id);
  }

  /** Runs one command line from a client, as redis-server's processCommand and call do. */
  dispatch(c: Connection, argv: string[]): void {
    const found = this.commands.lookup(argv);
    if (found.error !== undefined) {
      if (isSecurityAttack(argv[0])) {
        this.log.warn({ client: c.addr }, 'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis.');
        c.close();
        return;
      }
      return this.reject(c, found.command, found.error);
    }
    const command = found.command;
    if (!c.authenticated && !command.has(Flag.NoAuth)) {
      return this.reject(c, command, 'NOAUTH Authentication required.');
    }
    const errorsBefore = c.reply.errors;
    const start = performance.now();
    this.engine.call(c, command, argv);
    const stats = command.stats;
    stats.usec += (performance.now() - start) * 1000;
    stats.calls++;
    if (c.reply.errors !== errorsBefore) stats.failedCalls++;
    c.lastCommand = command.fullname;
  }

  private reject(c: Connection, command: Command<Connection> | undefined, error: string): void {
    if (command !== undefined) command.stats.rejectedCalls++;
    c.reply.error(error);
  }

  /** True when CLIENT PAUSE holds this command back. */
  isPaused(c: Connection, argv: string[]): boolean {
    const pause = this.pause;
    if (pause === null) return false;
    if (Date.now() >= pause.until) {
      this.unpause();
      return false;
    }
    if (pause.mode === 'all') return true;
    const command = this.commands.lookup(argv).command;
    return command !== undefined && (command.has(Flag.Write) || command.has(Flag.MayReplicate));
  }

  /** Ends CLIENT PAUSE and lets the held clients run their commands. */
  unpause(): void {
    this.pause = null;
    for (const c of this.connections.values()) c.processInput();
  }

  countError(message: string): void {
    const space = message.indexOf(' ');
    const code = space < 0 ? message : message.slice(0, space);
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
    this.stats.totalErrorReplies++;
  }

  /** redis-server's serverCron: periodic work at `hz` times a second. */
  private startCron(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    const hz = Math.min(Math.max(this.config.int('hz'), 1), 500);
    this.cronTimer = setInterval(() => this.cron(hz), 1000 / hz);
    this.cronTimer.unref();
  }

  private cron(hz: number): void {
    // The slow expire cycle may use a quarter of each tick, as in redis-server.
    this.engine.activeExpireCycle(250 / hz);
    if (this.pause !== null && Date.now() >= this.pause.until) this.unpause();
  }
}

function isSecurityAttack(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'post' || lower === 'host:';
}
