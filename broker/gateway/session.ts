/**
 * One WebSocket session: decodes the client's frames (JSON or protobuf, as the
 * subprotocol chose), authenticates, runs each request through the session's engine
 * links (link.ts) and its subscriptions, and sends the answers and deliveries back.
 *
 * A frame that does not decode closes the session with BAD_FRAME and the reason;
 * a request that cannot be served gets an `error` frame and the session goes on.
 * Its output is bounded: past `gateway-session-buffer-limit` unsent bytes the client is
 * not reading, and the session is closed with SLOW_CONSUMER; what it was delivered and
 * had not acked stays in the group's PEL (or the processing list) for recovery.
 */
import type { WebSocket, RawData } from 'ws';
import {
  decodeJson,
  decodeProtobuf,
  encodeJson,
  encodeProtobuf,
  frame,
  FrameError,
  PROTOCOL_VERSION,
  type ClientFrame,
  type DeliveredMessage,
  type ErrorFrame,
  type Frame,
  type MessagesFrame,
  type ProduceFrame,
  type ReadyFrame,
} from '../../protocol/gateway-frames.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { samePassword } from '../http/auth.js';
import { CLOSE_CODES, ERROR_CODES, replyError } from './errors.js';
import { MAXCLIENTS } from '../../engine/errors.js';
import { EngineLink, isError, type LinkHost, type Peer } from './link.js';
import { latin1Of, textOf, type Subscription, type SubscriptionHost } from './subscription.js';
import { GroupConsumer } from './consume.js';
import { StreamReader } from './read.js';
import { ListPopper } from './pop.js';
import { PubSubSubscriber } from './pubsub.js';
import type { DropReason, GatewayStats } from './stats.js';
import type { Encoding } from '../../protocol/gateway-delivery.js';
import type { AckBatcher } from './acks.js';

/** What a session uses of the gateway. */
export interface SessionHost {
  readonly links: LinkHost;
  /** Every session's acks, one XACK per stream and group per turn. */
  readonly acks: AckBatcher;
  readonly config: Config;
  readonly log: Logger;
  readonly stats: GatewayStats;
  /** Protects an event handler: an exception is logged and closes this session, never the process. */
  guard<A = void, B = void, C = void>(what: string, fn: (a: A, b: B, c: C) => void, session: Session): (a: A, b: B, c: C) => void;
  closed(session: Session): void;
}


/** WebSocket close reasons are at most 123 bytes. */
const MAX_REASON_BYTES = 123;

export class Session implements SubscriptionHost {
  readonly addr: string;
  readonly openedAt = Date.now();
  authenticated = false;
  /** Answered the last heartbeat ping. */
  alive = true;
  private closedAt = 0;
  private commandLink: EngineLink | null = null;
  private readonly links = new Set<EngineLink>();
  readonly subscriptions = new Map<string, Subscription>();
  /** The subscriptions that may hold messages for the client (pub/sub ones). */
  private readonly holders = new Set<Subscription>();
  readonly stats: GatewayStats;
  private readonly bufferLimit: number;

  constructor(
    private readonly host: SessionHost,
    private readonly ws: WebSocket,
    readonly id: string,
    readonly encoding: Encoding,
    private readonly peer: Peer,
  ) {
    this.addr = `${peer.address}:${peer.port}`;
    this.stats = host.stats;
    this.bufferLimit = host.config.int('gateway-session-buffer-limit');
    ws.on('message', host.guard('reading a WebSocket frame', (data: RawData, isBinary: boolean) => this.received(data, isBinary), this));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', host.guard('closing a WebSocket session', () => this.ended(), this));
    ws.on('error', (err) => host.log.debug({ err, client: this.addr }, 'WebSocket error'));
  }

  get closed(): boolean {
    return this.closedAt !== 0;
  }

  /**
   * Unsent bytes: what the socket holds for the client, and pub/sub messages waiting
   * for credit. Read at every reply the session's links get (the broker's output
   * limits): only the pub/sub subscriptions, the ones that hold messages, are asked.
   */
  get bufferedBytes(): number {
    let held = 0;
    for (const sub of this.holders) held += sub.heldBytes;
    return this.ws.bufferedAmount + held;
  }

  /** The password came with the upgrade (header or query), or none is needed: the session is ready. */
  authenticate(given: string | null): void {
    const password = this.host.config.get('requirepass');
    if (password === '') return this.ready();
    if (given === null) return;
    if (!samePassword(latin1Of(given), password)) return this.close(CLOSE_CODES.AUTH_FAILED, 'invalid password', 'auth');
    this.ready();
  }

  private ready(): void {
    this.authenticated = true;
    this.send(
      frame<ReadyFrame>('ready', {
        session: this.id,
        version: PROTOCOL_VERSION,
        maxFrameBytes: this.host.config.int('gateway-max-frame-bytes'),
        heartbeatMs: this.host.config.int('gateway-heartbeat-interval') * 1000,
      }),
    );
  }

  setTimer(delayMs: number, fn: () => void): NodeJS.Timeout {
    return setTimeout(this.host.guard('in a gateway timer', fn, this), delayMs);
  }

  nextTurn(fn: () => void): void {
    setImmediate(this.host.guard('in a gateway turn', fn, this));
  }

  get acks(): AckBatcher {
    return this.host.acks;
  }

  get commands(): EngineLink {
    return (this.commandLink ??= this.openLink());
  }

  openLink(): EngineLink {
    const link = new EngineLink(this.host.links, this.peer, () => this.bufferedBytes);
    this.links.add(link);
    link.onClose = (reason) => {
      // At maxclients the session can come back later, as a RESP client can.
      if (link.refusal === MAXCLIENTS) return this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'max number of clients reached (maxclients)', 'session_limit');
      this.close(CLOSE_CODES.LINK_CLOSED, `the broker closed a connection of this session (${link.refusal ?? reason})`, 'link_closed');
    };
    return link;
  }

  private received(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    let f: Frame;
    try {
      f = this.decode(data, isBinary);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      return this.close(CLOSE_CODES.BAD_FRAME, `malformed frame: ${err.message}`, 'bad_frame');
    }
    this.handle(f);
  }

  private decode(data: RawData, isBinary: boolean): Frame {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (this.encoding === 'protobuf') {
      if (!isBinary) throw new FrameError('a text frame on the protobuf subprotocol');
      return decodeProtobuf(bytes);
    }
    if (isBinary) throw new FrameError('a binary frame on the JSON subprotocol');
    return decodeJson(bytes.toString('utf8'));
  }

  private handle(f: Frame): void {
    if (!this.authenticated && f.type !== 'auth') {
      return this.answer('ref' in f ? f.ref : 0, '', 'NOAUTH Authentication required: send an auth frame first.');
    }
    // What a frame does comes after the acks before it (docs/websocket-protocol.md): they wait
    // for the end of the turn (acks.ts) only while acks and credit come.
    if (f.type !== 'ack' && f.type !== 'credit') this.host.acks.flushNow();
    switch (f.type) {
      case 'auth':
        return this.authenticateFrame(f.password);
      case 'consume':
      case 'read':
      case 'pop':
      case 'subscribe':
        return this.subscribe(f);
      case 'credit':
        return this.withSubscription(0, f.sub, (sub) => sub.grant(f.n));
      case 'ack':
        return this.withIds(f.ref, f.sub, f.ids, (sub) => sub.ack(f.ref, f.ids.map(latin1Of)));
      case 'nack':
        return this.withIds(f.ref, f.sub, f.ids, (sub) => sub.nack(f.ref, f.ids.map(latin1Of), f.delayMs));
      case 'produce':
        return this.produce(f);
      case 'cancel':
        // Stopped, but kept: what it delivered may still be acked or nacked through it.
        return this.withSubscription(f.ref, f.sub, (sub) => {
          sub.end();
          this.answer(f.ref, f.sub, null);
        });
      case 'ping':
        // After the acks sent before it are done: a client's sync waits for them.
        return this.host.acks.afterAcks(() => this.send(frame('pong', { ref: f.ref })));
      case 'ready':
      case 'ok':
      case 'messages':
      case 'produced':
      case 'error':
      case 'pong':
        return this.close(CLOSE_CODES.BAD_FRAME, `malformed frame: ${f.type} is a frame the server sends`, 'bad_frame');
    }
  }

  private authenticateFrame(password: string): void {
    if (this.authenticated && this.host.config.get('requirepass') === '') return;
    if (!samePassword(latin1Of(password), this.host.config.get('requirepass'))) {
      return this.close(CLOSE_CODES.AUTH_FAILED, 'invalid password', 'auth');
    }
    if (!this.authenticated) this.ready();
  }

  private subscribe(f: Extract<ClientFrame, { type: 'consume' | 'read' | 'pop' | 'subscribe' }>): void {
    const missing = missingField(f);
    if (missing !== null) return this.answer(f.ref, f.sub, `BAD_REQUEST ${f.type} needs ${missing}`);
    if (this.subscriptions.has(f.sub)) return this.answer(f.ref, f.sub, `DUPLICATE_SUB the session already has a subscription named ${f.sub}`);
    const sub =
      f.type === 'consume'
        ? new GroupConsumer(this, f)
        : f.type === 'read'
          ? new StreamReader(this, f)
          : f.type === 'pop'
            ? new ListPopper(this, f)
            : new PubSubSubscriber(this, f);
    this.subscriptions.set(f.sub, sub);
    if (sub.kind === 'subscribe') this.holders.add(sub);
    sub.start(f.ref);
  }

  private withSubscription(ref: number, name: string, then: (sub: Subscription) => void): void {
    const sub = this.subscriptions.get(name);
    if (sub === undefined) return this.answer(ref, name, `UNKNOWN_SUB no subscription named ${name}`);
    then(sub);
  }

  private withIds(ref: number, name: string, ids: readonly string[], then: (sub: Subscription) => void): void {
    if (ids.length === 0) return this.answer(ref, name, 'BAD_REQUEST ids must not be empty');
    this.withSubscription(ref, name, then);
  }

  /** XADD with the frame's options, as a RESP client would send it. */
  private produce(f: ProduceFrame): void {
    if (f.stream === '') return this.answer(f.ref, '', 'BAD_REQUEST produce needs stream');
    if (f.fields.length === 0 || f.fields.length % 2 !== 0) return this.answer(f.ref, '', 'BAD_REQUEST produce needs fields as field, value pairs');
    if (f.maxlen !== '' && f.minid !== '') return this.answer(f.ref, '', 'BAD_REQUEST produce takes maxlen or minid, not both');
    const argv = ['XADD', latin1Of(f.stream)];
    if (f.noMkStream) argv.push('NOMKSTREAM');
    if (f.maxlen !== '' || f.minid !== '') {
      argv.push(f.maxlen !== '' ? 'MAXLEN' : 'MINID', f.approximate ? '~' : '=', f.maxlen !== '' ? f.maxlen : f.minid);
      if (f.limit !== 0) argv.push('LIMIT', String(f.limit));
    }
    argv.push(f.id === '' ? '*' : f.id);
    for (const field of f.fields) argv.push(Buffer.from(field).latin1Slice());
    this.commands.send(argv, (reply) => {
      if (isError(reply)) return this.answer(f.ref, '', reply.error);
      // NOMKSTREAM on a missing stream: nothing added, an empty ID.
      this.send(frame('produced', { ref: f.ref, id: typeof reply === 'string' ? reply : '' }));
    });
  }

  deliver(sub: Subscription, messages: DeliveredMessage[]): void {
    this.send(frame<MessagesFrame>('messages', { sub: sub.name, messages }));
  }

  deliverEncoded(encoded: Buffer): void {
    this.sendBytes(encoded);
  }

  failed(sub: Subscription, ref: number, error: string): void {
    if (this.subscriptions.get(sub.name) === sub) this.endSubscription(sub);
    this.answer(ref, sub.name, error, true);
  }

  /** `ok` for a request that asked for an answer (ref not 0), an `error` frame for any failure. */
  answer(ref: number, sub: string, error: string | null, ended = false): void {
    if (error === null) {
      if (ref !== 0) this.send(frame('ok', { ref }));
      return;
    }
    const { code, message } = replyError(error);
    const text = textOf(code in ERROR_CODES ? message.slice(code.length + 1) : message);
    this.send(frame<ErrorFrame>('error', { ref, sub, code, message: text, ended }));
  }

  private endSubscription(sub: Subscription): void {
    this.subscriptions.delete(sub.name);
    this.holders.delete(sub);
    sub.end();
  }

  private send(f: Frame): void {
    if (this.closed) return;
    this.sendBytes(this.encoding === 'json' ? encodeJson(f) : encodeProtobuf(f));
  }

  /** A frame in the session's encoding: a text message of JSON, or a binary one of protobuf. */
  private sendBytes(encoded: string | Uint8Array): void {
    if (this.closed) return;
    this.ws.send(encoded, { binary: this.encoding === 'protobuf' });
    if (this.bufferedBytes > this.bufferLimit && this.bufferLimit > 0) {
      this.close(CLOSE_CODES.SLOW_CONSUMER, `the session's unsent output went over ${this.bufferLimit} bytes: the client is not reading`, 'slow_consumer');
    }
  }

  /**
   * Ends the session: subscriptions and links stop (unacked deliveries stay pending),
   * and the close frame goes out after what is queued; a peer that does not read it
   * is cut off after the heartbeat interval.
   */
  close(code: number, reason: string, drop: DropReason | null = null): void {
    if (this.closed) return;
    this.closedAt = Date.now();
    if (drop !== null) this.stats.drop(drop);
    this.host.log.info({ client: this.addr, session: this.id, code }, `Closing WebSocket session: ${reason}`);
    this.release();
    this.ws.close(code, truncateReason(reason));
  }

  /** The heartbeat: a WebSocket ping to the peer, and a PING on each link (see EngineLink.keepAlive). */
  ping(): void {
    this.ws.ping();
    for (const link of this.links) link.keepAlive();
  }

  /** Cut off a peer that did not answer the heartbeat, or did not take its close frame. */
  terminate(): void {
    this.closedAt ||= Date.now();
    this.release();
    this.ws.terminate();
  }

  /** Closed and not gone after `graceMs`: cut off. */
  overdue(now: number, graceMs: number): boolean {
    return this.closed && now - this.closedAt > graceMs;
  }

  private ended(): void {
    this.closedAt ||= Date.now();
    this.release();
    this.host.closed(this);
  }

  private release(): void {
    for (const sub of this.subscriptions.values()) sub.end();
    this.subscriptions.clear();
    this.holders.clear();
    for (const link of this.links) link.close();
    this.links.clear();
  }
}

/** The first required field a subscription request lacks, or null. */
function missingField(f: Extract<ClientFrame, { type: 'consume' | 'read' | 'pop' | 'subscribe' }>): string | null {
  if (f.sub === '') return 'sub';
  switch (f.type) {
    case 'consume':
      return f.stream === '' ? 'stream' : f.group === '' ? 'group' : f.consumer === '' ? 'consumer' : null;
    case 'read':
      return f.stream === '' ? 'stream' : null;
    case 'pop':
      return f.list === '' ? 'list' : f.consumer === '' && f.processing === '' ? 'consumer or processing' : null;
    case 'subscribe':
      return f.channels.length === 0 && f.patterns.length === 0 ? 'channels or patterns' : null;
  }
}

function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= MAX_REASON_BYTES ? reason : bytes.subarray(0, MAX_REASON_BYTES - 3).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
