/**
 * The gateway suites' helpers: the broker with its HTTP server and the gateway, as
 * main.ts builds them, and clients of the gateway.
 */
import { Redis } from 'ioredis';
import { Gateway } from '../../broker/gateway/gateway.js';
import { startBrokerWithHttp } from '../harness/servers.js';
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
    redis(): Redis {
      const r = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
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
