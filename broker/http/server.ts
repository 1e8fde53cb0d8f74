/**
 * The HTTP server (fastify): /metrics for Prometheus, /healthz and /readyz, on
 * `http-port` at the `bind` addresses (0: no listener; the RESP port still answers a
 * scrape through `inject`). It is built next to the broker by main.ts and reads it
 * through `HttpHost`; its state lives in its fastify plugins (ARCHITECTURE.md,
 * "Subsystems").
 */
import http from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from '../log.js';
import type { HttpRequestHead, HttpResponse } from '../net/resp-http.js';
import { authHook } from './auth.js';
import { Metrics, type Collector } from './registry.js';
import type { MetricsHost } from './host.js';

export type HttpHost = MetricsHost;

/** `http-port`'s default (redis_exporter's port). */
const DEFAULT_PORT = 9121;

/** The HTTP server could not listen where it was told to. */
export class HttpListenError extends Error {}

/** GET /metrics: Prometheus text, or OpenMetrics when the Accept header asks for it. */
function metricsPlugin(broker: HttpHost, collectors: readonly Collector[]): FastifyPluginAsync {
  return async (app) => {
    const metrics = new Metrics(broker, collectors);
    app.get('/metrics', async (request, reply) => {
      const format = (request.headers.accept ?? '').includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
      const body = await metrics.render(format);
      // Sent: the body's buffer serves the next scrape ('finish' only once it is all handed to the kernel).
      reply.raw.once('finish', () => metrics.recycle(body));
      return reply.type(metrics.contentType(format)).send(body);
    });
  };
}

/** /healthz: the process answers. /readyz: the dataset is loaded (503 with the reason otherwise). */
function healthPlugin(broker: HttpHost): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async (_, reply) => reply.type('text/plain').send('ok\n'));
    app.get('/readyz', async (_, reply) => {
      const loading = broker.persistence.loading;
      if (!loading.active) return reply.type('text/plain').send('ready\n');
      const progress = broker.persistence.infoFields().find((f) => f.startsWith('loading_loaded_perc:'))?.slice(20) ?? '0.00';
      return reply.code(503).type('text/plain').send(`loading the dataset (${progress}%)\n`);
    });
  };
}

export class HttpServer {
  readonly app: FastifyInstance;
  /** Collectors of other subsystems (the gateway's), run at each scrape after the broker's own. */
  readonly collectors: Collector[] = [];
  private readonly log: Logger;
  private readonly extraServers: http.Server[] = [];

  constructor(private readonly broker: HttpHost) {
    this.log = broker.log.child({ subsystem: 'http' });
    // Scrapes come every few seconds: requests are not logged one by one.
    this.app = Fastify({ loggerInstance: this.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
    this.app.addHook('onRequest', authHook(broker.config));
    void this.app.register(metricsPlugin(broker, this.collectors));
    void this.app.register(healthPlugin(broker));
  }

  /** The port listened on, 0 when not listening. */
  get port(): number {
    const address = this.app.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /**
   * Listens on `http-port` at each `bind` address (a leading '-' marks one that may be
   * unavailable, as for the RESP port); nothing when the port is 0. Failing on the
   * default port only logs a warning. fastify listens on
   * one address: the others get a server of their own that hands requests to it.
   */
  async listen(): Promise<void> {
    await this.app.ready();
    const port = this.broker.config.int('http-port');
    if (port === 0) return;
    for (const spec of this.broker.config.get('bind').split(/\s+/).filter((s) => s !== '')) {
      const optional = spec.startsWith('-');
      const host = optional ? spec.slice(1) : spec;
      try {
        if (this.port === 0) await this.app.listen({ port, host });
        else await this.listenAlso(port, host);
      } catch (err) {
        this.log.warn(`Could not create HTTP listening socket ${host}:${port}: ${(err as Error).message}`);
        // The default port is taken when free: several brokers on one host do not fail
        // for it (only the first gets it). A port asked for must be free.
        if (!optional && port !== DEFAULT_PORT) {
          await this.close();
          throw new HttpListenError(`Failed listening on port ${port} (http), aborting.`);
        }
      }
    }
  }

  private async listenAlso(port: number, host: string): Promise<void> {
    const server = http.createServer((req, res) => this.app.routing(req, res));
    // WebSocket upgrades (the gateway's) are handled where fastify's own server's are.
    server.on('upgrade', (req, socket, head) => this.app.server.emit('upgrade', req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => resolve());
    });
    this.extraServers.push(server);
  }

  async close(): Promise<void> {
    await Promise.all(this.extraServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    await this.app.close();
  }

  /** Answers a request read off the RESP port (broker/net/resp-http.ts), without a socket of its own. */
  async inject(head: HttpRequestHead): Promise<HttpResponse> {
    const response = await this.app.inject({ method: 'GET', url: head.url, headers: head.headers });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    return { status: response.statusCode, reason: response.statusMessage, headers, body: response.rawPayload };
  }
}
