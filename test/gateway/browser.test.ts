/**
 * The client in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core with its executablePath; no browser is downloaded) loads a page this
 * test serves, which imports the built client (dist/clients/gateway-client.js) with a
 * plain `<script type="module">`, consumes what a RESP producer adds, and acks it.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { componentPresent } from '../harness/servers.js';
import { startGatewayBroker, type GatewayBroker } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const NO_CHROMIUM = 'chromium is not installed (apt-get install chromium): the browser client test skipped';

function chromiumPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  const file = found.stdout.trim();
  return found.status === 0 && file !== '' ? file : null;
}

const executablePath = chromiumPath();

/** The page: consumes `count` entries, acks each, and reports what it got. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>gateway client</title>
<script type="module">
  import { connect } from '/clients/gateway-client.js';
  const params = new URLSearchParams(location.search);
  const count = Number(params.get('count'));
  const client = await connect({ url: params.get('url'), encoding: params.get('encoding') });
  const got = [];
  for await (const m of client.consume({ stream: params.get('stream'), group: 'browsers', consumer: 'tab', create: true, prefetch: 8 })) {
    got.push(m.fields.n);
    m.ack();
    if (got.length === count) break;
  }
  await client.ping();
  window.result = { got };
  await client.close();
</script>`;

/** Serves the page and the built modules under dist/. */
function staticServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const file = path.join(DIST, path.normalize(url.pathname));
    if (!file.startsWith(DIST) || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!componentPresent(executablePath !== null, NO_CHROMIUM))('the client in headless Chromium', () => {
  let b: GatewayBroker;
  let browser: Browser;
  let pages: http.Server;
  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'clients/gateway-client.js'))) throw new Error('dist/clients/gateway-client.js is missing: run `npm run build` first');
    b = await startGatewayBroker();
    pages = await staticServer();
    browser = await chromium.launch({ executablePath: executablePath!, args: ['--no-sandbox', '--headless=new'] });
  });
  afterAll(async () => {
    await browser?.close();
    pages?.close();
    await b?.stop();
  });

  for (const encoding of ['json', 'protobuf']) {
    it(`a page consumes and acks what a RESP producer adds (${encoding})`, async () => {
      const stream = `browser-${encoding}`;
      const redis = b.redis();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      const address = pages.address() as { port: number };
      const query = new URLSearchParams({ url: b.url, encoding, stream, count: '20' });
      await page.goto(`http://127.0.0.1:${address.port}/?${query}`);
      // The page creates the group; the producer starts once it exists.
      await expect.poll(async () => (await redis.exists(stream)) === 1, { timeout: 30_000 }).toBe(true);
      for (let i = 0; i < 20; i++) await redis.xadd(stream, '*', 'n', String(i));
      const handle = await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, undefined, { timeout: 30_000 });
      const result = (await handle.jsonValue()) as { got: string[] };
      expect(errors).toEqual([]);
      expect(result.got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(((await redis.xpending(stream, 'browsers')) as [number])[0]).toBe(0);
      await page.close();
    });
  }
});
