/**
 * An engine link: one of the broker's own client connections, over an in-process
 * socket instead of a TCP one. The gateway runs every command of a WebSocket session
 * through links, so they take the path a RESP client's commands take (dispatch, the
 * command table, blocking and its wake-ups, AOF and followers, keyspace events,
 * MONITOR, command stats, group commit, output buffer limits, CLIENT LIST and CLIENT
 * KILL): the gateway is a client of the broker like any other, only without the
 * kernel in between (ARCHITECTURE.md, "Subsystems").
 *
 * Commands go in as RESP bytes and replies come back as RESP, in order: decoded, or
 * as their bytes for a reader that turns them into frames itself (`sendForBytes`). A link that blocks (XREADGROUP BLOCK, BLMOVE) serves one subscription; a
 * session's other commands (XACK, XADD...) go through a link of their own, as a RESP
 * worker would use two connections.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { commandString } from '../../protocol/reply.js';
import { decodeWhole, ReplyFramer, type Decoded } from '../../protocol/decoder.js';
import type { Broker } from '../server.js';

/** What a link uses of the broker: it hands its socket to the broker's accept path. */
export type LinkHost = Pick<Broker, 'accept' | 'authRequired' | 'config' | 'guard'>;

/** The WebSocket peer a link stands for (CLIENT LIST addr, protected mode). */
export interface Peer {
  address: string;
  port: number;
}

/** A command as the RESP bytes a link sends (never changed once made: they may be sent again). */
export function encodeCommand(argv: readonly string[]): Buffer {
  return Buffer.from(commandString(argv), 'latin1');
}

/** A reply that is an error: `{ error: 'NOGROUP No such key...' }`. */
export function isError(value: Decoded): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/**
 * The socket a link's connection reads and writes: what broker/net/connection.ts
 * uses of a net.Socket, in memory. Output is handed on after the writer's turn
 * (a microtask), never inside the broker's reply flush.
 */
class LinkSocket extends EventEmitter {
  destroyed = false;
  private paused = false;
  private held: Buffer[] = [];

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly output: (chunk: Buffer) => void,
    private readonly buffered: () => number,
  ) {
    super();
  }

  readonly localAddress = 'gateway';
  readonly localPort = 0;

  /** Output is handed on as it is written: a streamed reply's next piece never waits for a drain. */
  readonly writableNeedDrain = false;

  /** The session's unsent bytes: the broker's output limits count them as this client's. */
  get writableLength(): number {
    return this.buffered();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  cork(): void {}
  uncork(): void {}

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) if (!this.destroyed) this.emit('data', chunk);
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  write(chunk: Buffer | string, cb?: () => void): boolean {
    if (!this.destroyed) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      queueMicrotask(() => this.output(bytes));
    }
    cb?.();
    return true;
  }

  end(chunk?: Buffer | string | (() => void), cb?: () => void): this {
    if (typeof chunk === 'function') cb = chunk;
    else if (chunk !== undefined) this.write(chunk);
    // Closed after what was written reaches the link.
    queueMicrotask(() => {
      this.destroy();
      cb?.();
    });
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  /** Input from the gateway: the connection reads it now, or when it reads again. */
  input(bytes: Buffer): void {
    if (this.destroyed) return;
    if (this.paused) this.held.push(bytes);
    else this.emit('data', bytes);
  }
}

type Waiter = (value: Decoded) => void;
/** Gets a reply as its RESP bytes (valid during the call only). */
type RawWaiter = (raw: Buffer) => void;

export class EngineLink {
  private readonly socket: LinkSocket;
  private readonly framer = new ReplyFramer();
  private readonly waiters: RawWaiter[] = [];
  private closedReason: string | null = null;
  /** Replies come as pushes (a subscribed link): no command waits for them. */
  private pushMode = false;
  /** Closed by the gateway itself: not reported to `onClose`. */
  private closing = false;
  /** Replies nobody waits for (pub/sub messages on a subscribed link). */
  onPush: (value: Decoded) => void = () => undefined;
  /** The broker closed the link (CLIENT KILL, output buffer limit, shutdown) or the gateway did. */
  onClose: (reason: string) => void = () => undefined;

  constructor(host: LinkHost, peer: Peer, buffered: () => number) {
    // What the gateway does with a reply runs outside any event handler of its own (a
    // microtask): guarded, an exception there closes the link (and its session), not the process.
    const client = { addr: `${peer.address}:${peer.port}`, close: () => this.close(true) };
    const received = host.guard('handling a gateway link reply', (chunk: Buffer) => this.received(chunk), client);
    this.socket = new LinkSocket(peer.address, peer.port, received, buffered);
    this.socket.on('close', () => this.closed('the broker closed the link'));
    // The broker's own accept path: maxclients and protected mode apply as to a TCP client.
    host.accept(this.socket as unknown as net.Socket);
    // An error before the link's client ID is the broker refusing it (maxclients), or its password.
    const refused = (value: Decoded): void => {
      if (isError(value) && this.clientId === 0) this.refusal ??= value.error;
    };
    if (host.authRequired) this.send(['AUTH', host.config.get('requirepass')], refused);
    this.send(['CLIENT', 'ID'], (id) => {
      if (typeof id === 'number') this.clientId = id;
      else refused(id);
    });
  }

  /** The link's client ID (CLIENT LIST id=, CLIENT UNBLOCK), known once its first replies are in. */
  clientId = 0;
  /** Why the broker would not take the link (`ERR max number of clients reached`), else null. */
  refusal: string | null = null;

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  /** Sends a command; `then` gets its reply (none for a closed link's). */
  send(argv: readonly string[], then: Waiter = () => undefined): void {
    this.sendForBytes(argv, (raw) => then(decodeWhole(raw)));
  }

  /** Sends a command; `then` gets its reply undecoded, as RESP bytes. */
  sendForBytes(argv: readonly string[], then: RawWaiter): void {
    this.sendEncoded(encodeCommand(argv), then);
  }

  /** Sends a command already encoded (`encodeCommand`), as a reader repeating one keeps it. */
  sendEncoded(command: Buffer, then: RawWaiter): void {
    // A closed link's commands are dropped: its session or subscription is ending.
    if (this.closedReason !== null) return;
    this.waiters.push(then);
    this.socket.input(command);
  }

  /** Sends a command whose replies arrive as pushes (SUBSCRIBE on a subscribed link). */
  sendForPushes(argv: readonly string[]): void {
    this.pushMode = true;
    if (this.closedReason === null) this.socket.input(Buffer.from(commandString(argv), 'latin1'));
  }

  /**
   * A PING, so that the link is not idle for the broker's `timeout` while its session
   * lives (the heartbeat sends it). On a subscribed link its answer is a push, ignored.
   */
  keepAlive(): void {
    if (this.pushMode) this.sendForPushes(['PING']);
    else this.send(['PING']);
  }

  /** Closes the link; `failed` when the gateway's own code failed on it: its session is told, and closes. */
  close(failed = false): void {
    this.closing = !failed;
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    for (const raw of this.framer.pushRaw(chunk)) {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(raw);
      else this.onPush(decodeWhole(raw));
    }
  }

  private closed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    // Replies that will not come: whoever waited for them is ending with the link.
    this.waiters.length = 0;
    if (!this.closing) this.onClose(reason);
  }
}
