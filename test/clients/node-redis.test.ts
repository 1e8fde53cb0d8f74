/** node-redis (`redis` package), unchanged, in RESP2 and RESP3, against the broker and redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, RESP_TYPES } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';

type Client = ReturnType<typeof createClient<{}, {}, {}, 2 | 3>>;

describe.each(TARGETS)('node-redis against $name', ({ start }) => {
  const server = suiteServer(() => start());

  describe.each([2, 3] as const)('RESP%d', (RESP) => {
    let client: Client;
    const k = (name: string) => `node-redis:${RESP}:${name}`;
    const connect = async (options: { database?: number; name?: string } = {}): Promise<Client> => {
      const c = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP, ...options, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined); // surfaced through the failing command instead
      await c.connect();
      return c as Client;
    };
    beforeAll(async () => {
      client = await connect();
    });
    afterAll(() => client?.destroy());

    it('connects (HELLO 3 in RESP3) and pings', async () => {
      expect(client.isReady).toBe(true);
      expect(await client.ping()).toBe('PONG');
      expect(await client.echo('hi')).toBe('hi');
      expect(await client.sendCommand(['PING', 'raw'])).toBe('raw');
    });

    it('reports the negotiated protocol through HELLO', async () => {
      const hello = (await client.hello()) as Record<string, unknown>;
      expect(hello.proto).toBe(RESP);
      expect(hello.server).toBe('redis');
      expect(typeof hello.id).toBe('number');
    });

    it('sets, gets and deletes strings', async () => {
      expect(await client.set(k('a'), 'value')).toBe('OK');
      expect(await client.get(k('a'))).toBe('value');
      expect(await client.get(k('missing'))).toBeNull();
      expect(await client.set(k('a'), 'new', { GET: true })).toBe('value');
      expect(await client.set(k('a'), 'x', { condition: 'NX' })).toBeNull();
      expect(await client.getDel(k('a'))).toBe('new');
      expect(await client.exists(k('a'))).toBe(0);
    });

    it('keeps binary values intact with a Buffer type mapping', async () => {
      const binary = Buffer.from([0, 0xff, 13, 10, 0x80, 0x7f]);
      await client.set(k('bin'), binary);
      const raw = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      expect(await raw.get(k('bin'))).toEqual(binary);
    });

    it('counts, including floats and errors', async () => {
      expect(await client.incr(k('n'))).toBe(1);
      expect(await client.incrBy(k('n'), 9)).toBe(10);
      expect(await client.decrBy(k('n'), 3)).toBe(7);
      expect(await client.incrByFloat(k('n'), 0.25)).toBe('7.25');
      await client.set(k('s'), 'x');
      await expect(client.incr(k('s'))).rejects.toThrow('ERR value is not an integer or out of range');
    });

    it('handles multi-key commands', async () => {
      expect(await client.mSet([k('m1'), '1', k('m2'), '2'])).toBe('OK');
      expect(await client.mGet([k('m1'), k('none'), k('m2')])).toEqual(['1', null, '2']);
      expect(await client.del([k('m1'), k('m2'), k('none')])).toBe(2);
    });

    it('pipelines 10,000 commands (auto-pipelining of concurrent calls)', async () => {
      const sets = Array.from({ length: 5000 }, (_, i) => client.set(k(`p${i}`), String(i)));
      const gets = Array.from({ length: 5000 }, (_, i) => client.get(k(`p${i}`)));
      expect(new Set(await Promise.all(sets))).toEqual(new Set(['OK']));
      expect(await Promise.all(gets)).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
    });

    it('expires keys', async () => {
      await client.set(k('ttl'), 'v', { expiration: { type: 'PX', value: 100_000 } });
      const pttl = await client.pTTL(k('ttl'));
      expect(pttl).toBeGreaterThan(90_000);
      expect(await client.persist(k('ttl'))).toBe(1);
      expect(await client.ttl(k('ttl'))).toBe(-1);
      expect(await client.type(k('ttl'))).toBe('string');
    });

    it('reads configuration as a map', async () => {
      expect(await client.configGet('maxclients')).toEqual({ maxclients: '10000' });
    });

    it('selects a database and names the connection', async () => {
      const other = await connect({ database: 5, name: 'consumer-1' });
      await other.set(k('db5'), 'here');
      expect(await client.get(k('db5'))).toBeNull();
      expect(await other.get(k('db5'))).toBe('here');
      expect(await other.clientGetName()).toBe('consumer-1');
      other.destroy();
    });
  });
});
