/**
 * The HTTP server (broker/http/): /metrics in both formats, /healthz, /readyz, auth
 * with `requirepass`, and a scrape on the RESP port next to the cross-protocol
 * protection that stays for every other HTTP request.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBrokerWithHttp } from '../harness/servers.js';
import { RawClient } from '../harness/raw.js';

type Started = Awaited<ReturnType<typeof startBrokerWithHttp>>;
let running: Started | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
});

async function start(args: string[] = []): Promise<Started> {
  running = await startBrokerWithHttp(args);
  return running;
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { headers });
}

/** Sends raw bytes to a port and returns everything read until the peer closes. */
async function exchange(port: number, bytes: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let out = '';
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(bytes);
  await new Promise((resolve) => socket.once('close', resolve));
  return out;
}

describe('HTTP endpoints', () => {
  it('serves /metrics as Prometheus text, and OpenMetrics when Accept asks', async () => {
    const { httpPort } = await start();
    const text = await get(httpPort, '/metrics');
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await text.text();
    expect(body).toContain('# TYPE broker_connected_clients gauge');
    expect(body).toContain('# TYPE broker_commands_total counter');
    expect(body).toContain('process_resident_memory_bytes');
    const om = await get(httpPort, '/metrics', { accept: 'application/openmetrics-text; version=1.0.0' });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const omBody = await om.text();
    expect(omBody.endsWith('# EOF\n')).toBe(true);
    expect(omBody).toContain('# TYPE broker_commands counter');
  });

  it('answers /healthz and /readyz once loaded', async () => {
    const { httpPort } = await start();
    expect((await get(httpPort, '/healthz')).status).toBe(200);
    const ready = await get(httpPort, '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
    expect((await get(httpPort, '/nosuch')).status).toBe(404);
  });

  it('asks for requirepass as a Bearer token or basic auth', async () => {
    const { httpPort } = await start(['--requirepass', 'sekret']);
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const denied = await get(httpPort, path);
      expect(denied.status, path).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('Basic');
      expect((await get(httpPort, path, { authorization: 'Bearer wrong' })).status, path).toBe(401);
      expect((await get(httpPort, path, { authorization: 'Bearer sekret' })).status, path).toBe(200);
      const basic = Buffer.from('default:sekret').toString('base64');
      expect((await get(httpPort, path, { authorization: `Basic ${basic}` })).status, path).toBe(200);
      const otherUser = Buffer.from('alice:sekret').toString('base64');
      expect((await get(httpPort, path, { authorization: `Basic ${otherUser}` })).status, path).toBe(401);
    }
  });

  it('leaves /metrics and /healthz open with http-metrics-auth no, but not /readyz', async () => {
    const { httpPort, port } = await start(['--requirepass', 'sekret', '--http-metrics-auth', 'no']);
    expect((await get(httpPort, '/metrics')).status).toBe(200);
    expect((await get(httpPort, '/healthz')).status).toBe(200);
    expect((await get(httpPort, '/readyz')).status).toBe(401);
    // Followed at run time, as CONFIG SET changes it.
    const c = await RawClient.connect(port);
    await c.call('AUTH', 'sekret');
    expect((await c.call('CONFIG', 'SET', 'http-metrics-auth', 'yes')).raw.toString()).toBe('+OK\r\n');
    c.close();
    expect((await get(httpPort, '/metrics')).status).toBe(401);
  });

  it('shows http-port and the metrics settings in CONFIG GET', async () => {
    const { port, httpPort } = await start(['--metrics-max-keys', '5']);
    const c = await RawClient.connect(port);
    expect((await c.call('CONFIG', 'GET', 'http-port')).value).toEqual(['http-port', String(httpPort)]);
    expect((await c.call('CONFIG', 'GET', 'metrics-max-keys')).value).toEqual(['metrics-max-keys', '5']);
    expect((await c.call('CONFIG', 'GET', 'http-metrics-auth')).value).toEqual(['http-metrics-auth', 'yes']);
    c.close();
  });
});

describe('a scrape on the RESP port', () => {
  it('answers GET /metrics with an HTTP response and closes', async () => {
    const { port } = await start();
    const out = await exchange(port, 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n');
    expect(out.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(out).toContain('content-type: text/plain; version=0.0.4; charset=utf-8\r\n');
    expect(out).toContain('connection: close\r\n');
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(out).toContain(`content-length: ${Buffer.byteLength(body, 'latin1')}\r\n`);
    expect(body).toContain('# TYPE broker_connected_clients gauge');
  });

  it('takes the request line in pieces, and asks for the password as the HTTP port does', async () => {
    const { port } = await start(['--requirepass', 'sekret']);
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    for (const piece of ['GE', 'T /met', 'rics HTTP/1.0\r', '\nAuthorization: Bearer sekret\r\n', '\r\n']) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await closed;
    expect(out.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(await exchange(port, 'GET /metrics HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  });

  it('keeps the cross-protocol protection for other HTTP requests', async () => {
    const { port } = await start();
    // POST: closed without a reply, as redis-server does.
    expect(await exchange(port, 'POST /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n')).toBe('');
    // Another GET is a RESP inline command whose Host: line, read in the same turn, closes
    // the connection before any reply leaves (redis-server 7.0 answers nothing either).
    expect(await exchange(port, 'GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n')).toBe('');
    // RESP clients are unaffected, GET included.
    const c = await RawClient.connect(port);
    expect((await c.call('SET', 'k', 'v')).raw.toString()).toBe('+OK\r\n');
    c.write('GET k\r\n');
    expect((await c.read()).raw.toString()).toBe('$1\r\nv\r\n');
    c.close();
  });
});
