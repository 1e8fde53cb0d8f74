/**
 * The streams-broker WebSocket client, for Node (with the `ws` package) and browsers
 * (their own WebSocket): docs/websocket-protocol.md is what it speaks, JSON or protobuf
 * as `encoding` says. It imports nothing but protocol/gateway-frames.js, so the built
 * module (dist/clients/gateway-client.js, with dist/protocol/ beside it) loads as it is
 * in a `<script type="module">` page.
 *
 *   const client = await connect({ url: 'ws://localhost:9121/ws', password });
 *   for await (const m of client.consume({ stream: 'orders', group: 'g', consumer: 'c1' })) {
 *     handle(m.fields);
 *     m.ack();
 *   }
 *
 * Flow control: each subscription keeps at most `prefetch` messages granted and not yet
 * taken by the application; credit is given back as the application takes them.
 * Reconnects with exponential backoff when the connection drops (unless closed by
 * `close()` or refused for a wrong password), then authenticates and starts every
 * subscription again: a group consumer gets its pending entries first (what it had
 * received and not acked comes again), a `read` resumes after the last entry taken, a
 * `pop` gets its processing list back. Requests in flight when it dropped fail.
 */
import {
  decodeJson,
  decodeProtobuf,
  encodeJson,
  encodeProtobuf,
  frame,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_PROTOBUF,
  type ClientFrame,
  type DeliveredMessage,
  type Frame,
  type ServerFrame,
} from '../protocol/gateway-frames.js';

/** The part of the WebSocket API used (browsers' and `ws`'s). */
interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

export interface ClientOptions {
  /** `ws://host:http-port/ws` */
  url: string;
  /** The broker's `requirepass`, sent in the first frame. */
  password?: string;
  encoding?: 'json' | 'protobuf';
  /** A WebSocket implementation; by default the global one, else the `ws` package (Node). */
  WebSocket?: WebSocketConstructor;
  /** Reconnection backoff; `false` to fail instead. */
  reconnect?: false | { initialDelayMs?: number; maxDelayMs?: number; factor?: number };
  /** Errors not tied to a request (a subscription that failed, an ack refused). */
  onError?: (err: GatewayError) => void;
  /** Told each time the connection is (re)established or lost. */
  onState?: (state: 'open' | 'reconnecting' | 'closed', detail?: { code: number; reason: string }) => void;
}

/** An `error` frame, or a lost connection (code `CLOSED`). */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly sub = '',
  ) {
    super(`${code} ${message}`);
  }
}

export interface Message {
  /** Stream entry ID, a list item's delivery number, or '' for pub/sub. */
  readonly id: string;
  /** A stream entry's fields (the last value of a repeated field). */
  readonly fields: Record<string, string>;
  /** A stream entry's fields in order, repeats kept. */
  readonly pairs: [string, string][];
  /** A list item or a pub/sub payload. */
  readonly value: string;
  readonly channel: string;
  readonly pattern: string;
  /** Times delivered by the group (1 the first time). */
  readonly deliveries: number;
  /** The message as received, bytes untouched (its bytes fields are views into the frame received). */
  readonly raw: DeliveredMessage;
  /** Acknowledges it (sent with the other acks of this turn). */
  ack(): void;
  /** Gives it back: claimable by any consumer (and delivered here again) at once, or after `delayMs`. */
  nack(delayMs?: number): void;
}

export interface ConsumeOptions {
  stream: string;
  group: string;
  consumer: string;
  /** Create the group (and the stream) if missing. */
  create?: boolean;
  batch?: number;
  /** Messages granted and not yet taken, at most (default 100). */
  prefetch?: number;
  claimIdleMs?: number;
}
export interface ReadOptions { stream: string; from?: string; batch?: number; prefetch?: number }
export interface PopOptions { list: string; consumer: string; processing?: string; prefetch?: number }
export interface SubscribeOptions { channels?: string[]; patterns?: string[]; prefetch?: number }
export interface ProduceOptions { id?: string; maxlen?: number | string; minid?: string; approximate?: boolean; limit?: number; noMkStream?: boolean }

const OPEN = 1;
const DEFAULT_PREFETCH = 100;
/** Acks sent in one frame at most. */
const ACK_BATCH = 500;
/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSES = new Set([4001]);

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  const mod = (await import('ws')) as unknown as { default: WebSocketConstructor };
  return mod.default;
}

/** Connects and waits for the session to be ready (authenticated). */
export async function connect(options: ClientOptions): Promise<GatewayClient> {
  const client = new GatewayClient(options, options.WebSocket ?? (await defaultWebSocket()));
  await client.opened();
  return client;
}

type Pending = { resolve: (f: ServerFrame) => void; reject: (err: Error) => void };

export class GatewayClient {
  private socket: SocketLike | null = null;
  private ready = false;
  private everReady = false;
  private closedByUser = false;
  private attempt = 0;
  private nextRef = 1;
  private nextSub = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Frames sent while not ready: they go once the session is. */
  private queued: ClientFrame[] = [];
  private readonly acks = new Map<string, string[]>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private openWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly encoding: 'json' | 'protobuf';

  constructor(
    private readonly options: ClientOptions,
    private readonly WebSocketImpl: WebSocketConstructor,
  ) {
    this.encoding = options.encoding ?? 'json';
    this.open();
  }

  /** Whether the session is ready (connected and authenticated). */
  get isReady(): boolean {
    return this.ready;
  }

  /** Resolves once the session is ready; rejects if the first connection fails for good. */
  opened(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  private open(): void {
    const protocol = this.encoding === 'json' ? SUBPROTOCOL_JSON : SUBPROTOCOL_PROTOBUF;
    const socket = new this.WebSocketImpl(this.options.url, [protocol]);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      if (this.options.password !== undefined) this.write(frame('auth', { password: this.options.password }));
    };
    socket.onmessage = (ev) => this.received(ev.data);
    socket.onerror = () => undefined;
    socket.onclose = (ev) => this.lost(socket, ev.code, ev.reason);
  }

  private received(data: unknown): void {
    let f: Frame;
    try {
      f = typeof data === 'string' ? decodeJson(data) : decodeProtobuf(new Uint8Array(data as ArrayBuffer));
    } catch (err) {
      this.socket?.close(4000, `malformed frame: ${(err as Error).message}`.slice(0, 120));
      return;
    }
    switch (f.type) {
      case 'ready':
        return this.becameReady();
      case 'messages':
        return this.subscriptions.get(f.sub)?.received(f.messages);
      case 'ok':
      case 'produced':
      case 'pong':
        return this.settle(f.ref, f);
      case 'error': {
        const err = new GatewayError(f.code, f.message, f.sub);
        if (f.ended) this.subscriptions.get(f.sub)?.failed(err);
        if (f.ref !== 0 && this.pending.has(f.ref)) this.fail(f.ref, err);
        else this.options.onError?.(err);
        return;
      }
      default:
        return;
    }
  }

  private becameReady(): void {
    this.ready = true;
    this.everReady = true;
    this.attempt = 0;
    this.options.onState?.('open');
    for (const w of this.openWaiters.splice(0)) w.resolve();
    for (const sub of this.subscriptions.values()) sub.restart();
    const queued = this.queued;
    this.queued = [];
    for (const f of queued) this.write(f);
  }

  private lost(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    const err = new GatewayError('CLOSED', `connection closed (${code}${reason !== '' ? ` ${reason}` : ''})`);
    for (const ref of [...this.pending.keys()]) this.fail(ref, err);
    this.queued = [];
    const reconnect = this.options.reconnect ?? {};
    // A first connection that fails is connect()'s failure, not a reason to retry.
    const giveUp = this.closedByUser || reconnect === false || FATAL_CLOSES.has(code) || !this.everReady;
    for (const sub of this.subscriptions.values()) sub.disconnected(giveUp ? err : null);
    if (giveUp) {
      this.options.onState?.('closed', { code, reason });
      for (const w of this.openWaiters.splice(0)) w.reject(err);
      return;
    }
    this.options.onState?.('reconnecting', { code, reason });
    const initial = reconnect.initialDelayMs ?? 100;
    const delay = Math.min(reconnect.maxDelayMs ?? 10_000, initial * (reconnect.factor ?? 2) ** this.attempt++);
    // Jitter: many clients cut off at once do not all come back at once.
    setTimeout(() => {
      if (!this.closedByUser) this.open();
    }, delay * (0.5 + Math.random() / 2));
  }

  /** Sends a frame now, or once the session is ready. */
  send(f: ClientFrame): void {
    if (this.ready) this.write(f);
    else this.queued.push(f);
  }

  private write(f: ClientFrame): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== OPEN) return;
    socket.send(this.encoding === 'json' ? encodeJson(f) : encodeProtobuf(f));
  }

  /** Sends a request and waits for its answer. */
  request<T extends ServerFrame>(build: (ref: number) => ClientFrame): Promise<T> {
    const ref = this.nextRef++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(ref, { resolve: resolve as (f: ServerFrame) => void, reject });
      this.send(build(ref));
    });
  }

  private settle(ref: number, f: ServerFrame): void {
    const p = this.pending.get(ref);
    this.pending.delete(ref);
    p?.resolve(f);
  }

  private fail(ref: number, err: Error): void {
    const p = this.pending.get(ref);
    this.pending.delete(ref);
    p?.reject(err);
  }

  /** Adds an entry to a stream (XADD); resolves with its ID. */
  async produce(stream: string, fields: Record<string, string | Uint8Array> | [string, string | Uint8Array][], options: ProduceOptions = {}): Promise<string> {
    const pairs = Array.isArray(fields) ? fields : Object.entries(fields);
    const flat: Uint8Array[] = [];
    for (const [k, v] of pairs) flat.push(encoder.encode(k), typeof v === 'string' ? encoder.encode(v) : v);
    const answer = await this.request<Extract<ServerFrame, { type: 'produced' }>>((ref) =>
      frame('produce', {
        ref,
        stream,
        id: options.id ?? '',
        fields: flat,
        maxlen: options.maxlen !== undefined ? String(options.maxlen) : '',
        minid: options.minid ?? '',
        approximate: options.approximate ?? false,
        limit: options.limit ?? 0,
        noMkStream: options.noMkStream ?? false,
      }),
    );
    return answer.id;
  }

  /** Resolves once the server has handled everything sent before (acks included). */
  async ping(): Promise<void> {
    this.flushAcks();
    await this.request((ref) => frame('ping', { ref }));
  }

  /** Reads a stream as a member of a consumer group: pending entries first, then new ones. */
  consume(o: ConsumeOptions): Subscription {
    return this.subscription(o.prefetch, (s, ref, credit) =>
      frame('consume', { ref, sub: s.name, stream: o.stream, group: o.group, consumer: o.consumer, create: o.create ?? false, batch: o.batch ?? 0, credit, claimIdleMs: o.claimIdleMs ?? 0 }),
    );
  }

  /** Reads a stream without a group, after `from` ('$': new entries only, the default). */
  read(o: ReadOptions): Subscription {
    return this.subscription(o.prefetch, (s, ref, credit) =>
      frame('read', { ref, sub: s.name, stream: o.stream, from: s.lastId ?? o.from ?? '$', batch: o.batch ?? 0, credit }),
    );
  }

  /** Pops a list reliably (BLMOVE into a processing list; ack removes the item there). */
  pop(o: PopOptions): Subscription {
    return this.subscription(o.prefetch, (s, ref, credit) => frame('pop', { ref, sub: s.name, list: o.list, consumer: o.consumer, processing: o.processing ?? '', credit }));
  }

  /** Pub/sub channels and patterns. */
  subscribe(o: SubscribeOptions): Subscription {
    return this.subscription(o.prefetch, (s, ref, credit) => frame('subscribe', { ref, sub: s.name, channels: o.channels ?? [], patterns: o.patterns ?? [], credit }));
  }

  private subscription(prefetch: number | undefined, request: SubscriptionRequest): Subscription {
    const name = `s${this.nextSub++}`;
    const sub = new Subscription(this, name, prefetch ?? DEFAULT_PREFETCH, request);
    this.subscriptions.set(name, sub);
    sub.restart();
    return sub;
  }

  /** @internal It will not be restarted after a reconnect (its acks still go). */
  forget(sub: Subscription): void {
    this.subscriptions.delete(sub.name);
  }

  /**
   * @internal Acks go in one frame per subscription per event-loop turn (a timer, not a
   * microtask: an async iterator's consumer acks one message per microtask), or at
   * ACK_BATCH ids.
   */
  queueAck(sub: string, id: string): void {
    const ids = this.acks.get(sub);
    if (ids === undefined) this.acks.set(sub, [id]);
    else ids.push(id);
    if ((ids?.length ?? 1) >= ACK_BATCH) return this.flushAcks();
    if (this.ackTimer !== null) return;
    this.ackTimer = setTimeout(() => this.flushAcks(), 0);
  }

  private flushAcks(): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    for (const [sub, ids] of this.acks) this.send(frame('ack', { sub, ids }));
    this.acks.clear();
  }

  async close(): Promise<void> {
    this.flushAcks();
    this.closedByUser = true;
    const socket = this.socket;
    if (socket === null) return;
    await new Promise<void>((resolve) => {
      const previous = socket.onclose;
      socket.onclose = (ev) => {
        previous?.(ev);
        resolve();
      };
      socket.close(1000, 'client closing');
    });
  }
}

/** Text of bytes; most messages have no channel, pattern or value: no decoder call for those. */
function text(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : utf8.decode(bytes);
}

class ReceivedMessage implements Message {
  readonly pairs: [string, string][] = [];
  readonly fields: Record<string, string> = {};
  readonly value: string;
  readonly channel: string;
  readonly pattern: string;

  constructor(
    readonly raw: DeliveredMessage,
    private readonly client: GatewayClient,
    private readonly sub: string,
  ) {
    for (let i = 0; i + 1 < raw.fields.length; i += 2) {
      const pair: [string, string] = [text(raw.fields[i]), text(raw.fields[i + 1])];
      this.pairs.push(pair);
      // A field named __proto__ is data, not the object's prototype.
      if (pair[0] === '__proto__') Object.defineProperty(this.fields, pair[0], { value: pair[1], enumerable: true, writable: true, configurable: true });
      else this.fields[pair[0]] = pair[1];
    }
    this.value = text(raw.value);
    this.channel = text(raw.channel);
    this.pattern = text(raw.pattern);
  }

  get id(): string {
    return this.raw.id;
  }

  get deliveries(): number {
    return this.raw.deliveries;
  }

  ack(): void {
    this.client.queueAck(this.sub, this.raw.id);
  }

  nack(delayMs = 0): void {
    this.client.send(frame('nack', { sub: this.sub, ids: [this.raw.id], delayMs }));
  }
}

/** Builds the request that starts a subscription (again, after a reconnect). */
type SubscriptionRequest = (sub: Subscription, ref: number, credit: number) => ClientFrame;

/** One subscription: an async iterator of its messages. */
export class Subscription implements AsyncIterable<Message> {
  started = false;
  /** The last stream entry ID taken (a `read` resumes after it). */
  lastId: string | null = null;
  private readonly buffer: Message[] = [];
  private waiter: { resolve: (r: IteratorResult<Message>) => void; reject: (err: Error) => void } | null = null;
  private error: Error | null = null;
  private done = false;
  /** Credit granted since the last (re)start and not yet used by a delivery, plus messages buffered. */
  private granted = 0;

  constructor(
    private readonly client: GatewayClient,
    readonly name: string,
    private readonly prefetch: number,
    private readonly request: SubscriptionRequest,
  ) {}

  /** (Re)starts it on the server, granting the full window. */
  restart(): void {
    if (this.done) return;
    this.started = false;
    this.granted = this.prefetch;
    const promise = this.client.request((ref) => this.request(this, ref, this.prefetch));
    promise.then(
      () => (this.started = true),
      (err: Error) => {
        // A lost connection is retried by the reconnect; a refusal ends the subscription.
        if (!(err instanceof GatewayError && err.code === 'CLOSED')) this.failed(err);
      },
    );
  }

  /** @internal */
  received(messages: DeliveredMessage[]): void {
    for (const raw of messages) this.buffer.push(this.toMessage(raw));
    this.wake();
  }

  /** @internal The connection dropped: buffered deliveries come again after the reconnect (or `err` ends it). */
  disconnected(err: Error | null): void {
    this.buffer.length = 0;
    if (err !== null) this.failed(err);
  }

  /** @internal */
  failed(err: Error): void {
    if (this.done) return;
    this.error = err;
    this.done = true;
    this.client.forget(this);
    this.wake();
  }

  private toMessage(raw: DeliveredMessage): Message {
    return new ReceivedMessage(raw, this.client, this.name);
  }

  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    if (this.buffer.length > 0) {
      this.waiter = null;
      w.resolve({ value: this.take(), done: false });
    } else if (this.done) {
      this.waiter = null;
      if (this.error !== null) w.reject(this.error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** The next message, giving its credit back once half the window is taken. */
  private take(): Message {
    const m = this.buffer.shift()!;
    if (m.id !== '' && m.channel.length === 0) this.lastId = m.id;
    this.granted--;
    // Disconnected: the restart after the reconnect grants a whole window.
    if (!this.client.isReady) return m;
    const used = this.prefetch - this.granted;
    if (used >= Math.max(1, this.prefetch / 2)) {
      this.granted += used;
      this.client.send(frame('credit', { sub: this.name, n: used }));
    }
    return m;
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.take(), done: false });
    if (this.done) return this.error !== null ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stops the subscription (what was received and not acked stays pending on the server). */
  async cancel(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.client.forget(this);
    this.buffer.length = 0;
    this.wake();
    await this.client.request((ref) => frame('cancel', { ref, sub: this.name })).catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.cancel();
        return { value: undefined, done: true };
      },
    };
  }
}
