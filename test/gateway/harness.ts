/**
 * The gateway suites' helpers: the broker with its HTTP server and the gateway, as
 * main.ts builds them, and clients of the gateway.
 */
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import {
  decodeJson,
  decodeProtobuf,
  encodeJson,
  encodeProtobuf,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_PROTOBUF,
  type ClientFrame,
  type Frame,
} from '../../protocol/gateway-frames.js';
import { Gateway } from '../../broker/gateway/gateway.js';
import { startBrokerWithHttp } from '../harness/servers.js';
import { suiteRunning } from '../harness/suite.js';
import { connect, type ClientOptions, type GatewayClient } from '../../clients/gateway-client.js';

export type GatewayBroker = Awaited<ReturnType<typeof startGatewayBroker>>;

/** The broker, its HTTP server and the gateway on free ports; `url` is the gateway's. */
export async function startGatewayBroker(args: readonly string[] = []) {
  let gateway: Gateway | null = null;
  const server = await startBrokerWithHttp(args, {
    setup: (http, broker) => {
      gateway = new Gateway(broker);
      gateway.register(http);
    },
  });
  const clients: (GatewayClient | Redis)[] = [];
  return {
    ...server,
    gateway: gateway!,
    url: `ws://127.0.0.1:${server.httpPort}/ws`,
    /** A gateway client, closed by `stop`. */
    async client(options: Partial<ClientOptions> = {}): Promise<GatewayClient> {
      const c = await connect({ url: `ws://127.0.0.1:${server.httpPort}/ws`, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
      clients.push(c);
      return c;
    },
    /** An ioredis client, closed by `stop`. */
    redis(password?: string): Redis {
      const r = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1, password });
      clients.push(r);
      return r;
    },
    async stop(): Promise<void> {
      for (const c of clients.splice(0)) {
        if (c instanceof Redis) c.disconnect();
        else await c.close().catch(() => undefined);
      }
      await server.stop();
    },
  };
}

/** The gateway broker of a describe block (or a file): started before its tests, stopped after them. */
export function suiteGatewayBroker(
  args: readonly string[] = [],
): Pick<GatewayBroker, 'broker' | 'gateway' | 'httpPort' | 'url' | 'client' | 'redis' | 'stop'> {
  const running = suiteRunning('suite gateway broker', () => startGatewayBroker(args), {});
  return {
    get broker() {
      return running().broker;
    },
    get gateway() {
      return running().gateway;
    },
    get httpPort() {
      return running().httpPort;
    },
    get url() {
      return running().url;
    },
    client: (options) => running().client(options),
    redis: (password) => running().redis(password),
    stop: () => running().stop(),
  };
}

/** A session spoken to frame by frame (protocol-level tests). */
export interface RawSession {
  ws: WebSocket;
  /** Frames received and not yet taken by `next`. */
  frames: Frame[];
  send(f: ClientFrame): void;
  /** The next frame received (of `type`, skipping others when given). */
  next<T extends Frame['type']>(type?: T): Promise<Extract<Frame, { type: T }>>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawSession(
  url: string,
  { encoding = 'json', headers, waitReady = true }: { encoding?: 'json' | 'protobuf'; headers?: Record<string, string>; waitReady?: boolean } = {},
): Promise<RawSession> {
  const ws = new WebSocket(url, [encoding === 'json' ? SUBPROTOCOL_JSON : SUBPROTOCOL_PROTOBUF], { headers });
  const frames: Frame[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    frames.push(isBinary ? decodeProtobuf(new Uint8Array(data)) : decodeJson(data.toString('utf8')));
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString('utf8') });
      wake?.();
    });
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => resolve());
    ws.once('error', reject);
  });
  const session: RawSession = {
    ws,
    frames,
    closed,
    send: (f) => ws.send(encoding === 'json' ? encodeJson(f) : encodeProtobuf(f)),
    async next<T extends Frame['type']>(type?: T): Promise<Extract<Frame, { type: T }>> {
      for (;;) {
        const i = frames.findIndex((f) => type === undefined || f.type === type);
        if (i >= 0) return frames.splice(i, 1)[0] as Extract<Frame, { type: T }>;
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`session closed while waiting for ${type ?? 'a frame'}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  if (waitReady) await session.next('ready');
  return session;
}
