/**
 * The WebSocket gateway: `GET /ws` on the HTTP server (broker/http/server.ts) upgrades
 * to a session (session.ts) speaking docs/websocket-protocol.md, in JSON or protobuf
 * as the client's subprotocol asks. A fastify plugin keeping its state here, as the
 * HTTP server's are (ARCHITECTURE.md, "Subsystems"): built by main.ts next to
 * the broker, given a narrow view of it (`GatewayHost`), registered on the HTTP server.
 *
 * The upgrade is taken with `ws` on the HTTP server's `upgrade` event rather than
 * through @fastify/websocket: the gateway picks the subprotocol, refuses sessions past
 * `gateway-max-sessions` with a close code a browser can read, and authenticates from a
 * header, the query or the first frame, none of which a route handler adds. The
 * password is checked after the upgrade for the same reason (a browser sees no HTTP
 * status of a failed upgrade).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FastifyPluginAsync } from 'fastify';
import { SUBPROTOCOL_JSON, SUBPROTOCOL_PROTOBUF } from '../../protocol/gateway-frames.js';
import type { Broker } from '../server.js';
import type { HttpServer } from '../http/server.js';
import { passwordOf } from '../http/auth.js';
import { CLOSE_CODES } from './errors.js';
import type { LinkHost } from './link.js';
import { Session, type SessionHost } from './session.js';
import { collectGateway, GatewayStats, type GatewayState } from './stats.js';
import { AckBatcher } from './acks.js';

/** What the gateway uses of the broker. */
export type GatewayHost = LinkHost & Pick<Broker, 'log' | 'guard' | 'shutdownHooks'>;

const GATEWAY_PATH = '/ws';

/** Time a closing session's peer has to take its close frame when the heartbeat is off. */
const DEFAULT_GRACE_MS = 15_000;
/** Time peers have to answer the close frames when the server stops. */
const CLOSE_WAIT_MS = 1000;

export class Gateway implements GatewayState {
  readonly stats = new GatewayStats();
  private readonly sessions = new Set<Session>();
  private readonly sessionHost: SessionHost;
  private readonly acks: AckBatcher;
  private wss: WebSocketServer | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private nextSessionId = 1;

  constructor(private readonly broker: GatewayHost) {
    const log = broker.log.child({ subsystem: 'gateway' });
    const acks = new AckBatcher(broker, this.stats, (fn) => setImmediate(broker.guard("sending the gateway's acks", fn)));
    this.acks = acks;
    this.sessionHost = {
      links: broker,
      acks,
      config: broker.config,
      log,
      stats: this.stats,
      guard: (what, fn, session) => broker.guard(what, fn, { addr: session.addr, close: () => session.terminate() }),
      closed: (session) => this.sessions.delete(session),
    };
    broker.shutdownHooks.push(async () => {
      await this.closeAll(CLOSE_CODES.GOING_AWAY, 'the broker is shutting down');
      return null;
    });
  }

  /** Adds `GET /ws` and the gateway's metrics to the HTTP server (before it listens). */
  register(http: HttpServer): void {
    http.collectors.push((scrape) => collectGateway(this, scrape));
    void http.app.register(this.plugin());
  }

  private plugin(): FastifyPluginAsync {
    return async (app) => {
      const config = this.broker.config;
      this.wss = new WebSocketServer({
        noServer: true,
        maxPayload: config.int('gateway-max-frame-bytes'),
        perMessageDeflate: false,
        handleProtocols: (offered) => chooseSubprotocol(offered),
      });
      app.server.on('upgrade', this.broker.guard('upgrading to WebSocket', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head)));
      // A plain GET (no upgrade) is told what the path is for.
      app.get(GATEWAY_PATH, async (_, reply) => reply.code(426).header('upgrade', 'websocket').type('text/plain').send('WebSocket upgrade required\n'));
      app.addHook('preClose', async () => this.closeAll(CLOSE_CODES.GOING_AWAY, 'the HTTP server is closing'));
      this.startHeartbeat();
      config.onChange('gateway-heartbeat-interval', () => this.startHeartbeat());
    };
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== GATEWAY_PATH || this.wss === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, this.broker.guard('opening a WebSocket session', (ws: WebSocket) => this.open(ws, req, url)));
  }

  private open(ws: WebSocket, req: IncomingMessage, url: URL): void {
    if (this.openSessions() >= this.broker.config.int('gateway-max-sessions')) {
      this.stats.drop('session_limit');
      ws.close(CLOSE_CODES.TRY_AGAIN_LATER, 'too many sessions (gateway-max-sessions)');
      return;
    }
    const peer = { address: req.socket.remoteAddress ?? '?', port: req.socket.remotePort ?? 0 };
    const encoding = ws.protocol === SUBPROTOCOL_PROTOBUF ? 'protobuf' : 'json';
    const session = new Session(this.sessionHost, ws, String(this.nextSessionId++), encoding, peer);
    this.sessions.add(session);
    this.stats.sessionsOpened++;
    session.authenticate(passwordOf(req.headers.authorization) ?? url.searchParams.get('token'));
  }

  /**
   * Each interval: a session that did not answer the last ping is cut off, one that
   * has not authenticated within an interval is closed, one closed but not gone for
   * an interval is cut off; the others are pinged.
   */
  private startHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const seconds = this.broker.config.int('gateway-heartbeat-interval');
    const intervalMs = seconds > 0 ? seconds * 1000 : DEFAULT_GRACE_MS;
    this.heartbeat = setInterval(this.broker.guard('in the gateway heartbeat', () => this.beat(intervalMs, seconds > 0)), intervalMs);
    this.heartbeat.unref();
  }

  private beat(intervalMs: number, ping: boolean): void {
    const now = Date.now();
    for (const s of this.sessions) {
      if (s.overdue(now, intervalMs)) s.terminate();
      else if (s.closed) continue;
      else if (!s.authenticated && now - s.openedAt > intervalMs) s.close(CLOSE_CODES.AUTH_FAILED, 'authentication timed out', 'auth');
      else if (!ping) continue;
      else if (!s.alive) {
        this.stats.drop('heartbeat');
        s.terminate();
      } else {
        s.alive = false;
        s.ping();
      }
    }
  }

  /** Closes every session; those whose peers have not answered the close within CLOSE_WAIT_MS are cut off. */
  private async closeAll(code: number, reason: string): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const s of this.sessions) s.close(code, reason);
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const s of this.sessions) s.terminate();
    this.sessions.clear();
    this.acks.close();
  }

  /** Sessions not closing: those count against gateway-max-sessions. */
  private openSessions(): number {
    let n = 0;
    for (const s of this.sessions) if (!s.closed) n++;
    return n;
  }

  sessionFigures(): ReturnType<GatewayState['sessionFigures']> {
    const subscriptions = new Map<string, number>();
    let credits = 0;
    let bufferedBytes = 0;
    let sessions = 0;
    for (const s of this.sessions) {
      // A closed session's output still takes memory until its peer is gone.
      bufferedBytes += s.bufferedBytes;
      if (s.closed) continue;
      sessions++;
      for (const sub of s.subscriptions.values()) {
        subscriptions.set(sub.kind, (subscriptions.get(sub.kind) ?? 0) + 1);
        credits += sub.outstanding;
      }
    }
    return { sessions, subscriptions, credits, bufferedBytes };
  }
}

/** The subprotocol the session speaks: the first offered that the gateway knows; none offered means JSON. */
function chooseSubprotocol(offered: Set<string>): string | false {
  for (const p of offered) if (p === SUBPROTOCOL_JSON || p === SUBPROTOCOL_PROTOBUF) return p;
  return false;
}
