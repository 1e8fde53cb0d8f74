/**
 * One client connection: reads commands off the socket, hands them to dispatch and
 * writes the replies back once per event-loop turn (DESIGN.md decision 3).
 */
import type { Socket } from 'node:net';
import { Client } from '../engine/client.js';
import { RespParser } from '../protocol/parser.js';
import type { Broker } from './server.js';

export class Connection extends Client {
  name = '';
  readonly parser = new RespParser();
  readonly createdAt = Date.now();
  /** Last time a command was received (CLIENT LIST idle, `timeout`). */
  lastInteraction = Date.now();
  /** Full name of the last command run (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  authenticated: boolean;
  /** Close once the pending replies are written (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply = false;
  closed = false;
  readonly addr: string;
  readonly laddr: string;
  /** Set by CLIENT REPLY OFF/SKIP: replies are discarded. */
  replyMode: 'on' | 'off' | 'skip' = 'on';
  /** CLIENT NO-EVICT flag. */
  noEvict = false;
  /** A command read but not yet run because the client is paused. */
  private held: string[] | null = null;
  private flushScheduled = false;

  constructor(
    private readonly broker: Broker,
    readonly socket: Socket,
    id: number,
  ) {
    super(broker.engine, id);
    this.authenticated = broker.config.get('requirepass') === '';
    this.parser.unauthenticated = !this.authenticated;
    this.parser.maxBulkLen = broker.config.int('proto-max-bulk-len');
    this.addr = formatAddress(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddress(socket.localAddress, socket.localPort);
    this.reply.onError = (message) => broker.countError(message);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    this.processInput();
  }

  /** Runs every complete command in the input, unless paused or blocked. */
  processInput(): void {
    const parser = this.parser;
    while (!this.closed && !this.closeAfterReply) {
      const argv = this.held ?? parser.next();
      if (argv === null) break;
      this.held = null;
      if (this.broker.isPaused(this, argv)) {
        this.held = argv;
        break;
      }
      this.lastInteraction = Date.now();
      this.broker.dispatch(this, argv);
    }
    if (parser.error !== null && !this.closeAfterReply) {
      this.broker.log.info({ client: this.addr }, `Protocol error (${parser.error}) from client`);
      this.reply.error(parser.error);
      this.closeAfterReply = true;
    }
    this.flush();
  }

  /** Writes pending replies now; used at the end of a read and for out-of-band replies. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const out = this.reply.take();
    if (out.length > 0) this.socket.write(out, 'latin1');
    if (this.closeAfterReply) {
      this.socket.end();
      this.close();
    }
  }

  /** Flushes later in this event-loop turn, batching replies produced outside a read. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed && !this.closeAfterReply) this.socket.destroy();
    this.broker.removeConnection(this);
  }
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return `${h}:${port ?? 0}`;
}
