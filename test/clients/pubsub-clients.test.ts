/**
 * Pub/sub with real clients, unchanged: ioredis and node-redis in RESP2 and RESP3
 * (push frames; a RESP3 subscriber keeps running commands), and 1,000 ioredis
 * subscribers on 100 channels and 10 patterns with every message counted. Each suite
 * also runs against redis-server, so the expectations are the reference's.
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { suiteServer } from '../harness/suite.js';
import { TARGETS } from './targets.js';
import { until } from '../harness/wait.js';

describe.each(TARGETS)('pub/sub clients against $name', ({ start }) => {
  const server = suiteServer(() => start());

  describe.each([2, 3] as const)('RESP%d', (protocol) => {
    const ioredis = async (): Promise<Redis> => {
      const r = new Redis({ port: server.port, host: '127.0.0.1', protocol, lazyConnect: true, maxRetriesPerRequest: 0 });
      await r.connect();
      return r;
    };

    it('ioredis: subscribes to channels, patterns and shard channels and gets each kind of message', async () => {
      const sub = await ioredis();
      const pub = await ioredis();
      const k = (name: string) => `io${protocol}:${name}`;
      const got: string[][] = [];
      sub.on('message', (channel: string, message: string) => got.push(['message', channel, message]));
      sub.on('pmessage', (pattern: string, channel: string, message: string) => got.push(['pmessage', pattern, channel, message]));
      sub.on('smessage', (channel: string, message: string) => got.push(['smessage', channel, message]));
      expect(await sub.subscribe(k('a'), k('b'))).toBe(2);
      expect(await sub.psubscribe(k('*'))).toBe(3);
      expect(await sub.ssubscribe(k('s'))).toBe(1);
      expect(await pub.publish(k('a'), 'hello')).toBe(2); // the channel and the pattern
      expect(await pub.spublish(k('s'), 'sharded')).toBe(1);
      expect(await pub.publish(k('zzz'), 'pattern only')).toBe(1);
      await until('four messages', () => got.length === 4);
      expect(got).toEqual([
        ['message', k('a'), 'hello'],
        ['pmessage', k('*'), k('a'), 'hello'],
        ['smessage', k('s'), 'sharded'],
        ['pmessage', k('*'), k('zzz'), 'pattern only'],
      ]);
      expect(await pub.pubsub('NUMSUB', k('a'), k('b'), k('none'))).toEqual([k('a'), 1, k('b'), 1, k('none'), 0]);
      expect(await pub.pubsub('SHARDNUMSUB', k('s'))).toEqual([k('s'), 1]);
      expect(((await pub.pubsub('CHANNELS', k('*'))) as string[]).sort()).toEqual([k('a'), k('b')]);
      if (protocol === 3) {
        // A RESP3 subscriber keeps running commands; ioredis itself refuses them in RESP2.
        expect(await sub.set(k('key'), 'while subscribed')).toBe('OK');
        expect(await sub.get(k('key'))).toBe('while subscribed');
      }
      // (ioredis waits forever on an argument-less UNSUBSCRIBE, with redis-server too: names given.)
      expect(await sub.unsubscribe(k('a'))).toBe(2);
      expect(await sub.punsubscribe(k('*'))).toBe(1);
      expect(await pub.publish(k('a'), 'nobody')).toBe(0);
      expect(await sub.sunsubscribe(k('s'))).toBe(0);
      expect(await sub.unsubscribe(k('b'))).toBe(0);
      // Out of subscriber mode: ordinary commands again.
      expect(await sub.set(k('key'), 'v')).toBe('OK');
      expect(await sub.get(k('key'))).toBe('v');
      sub.disconnect();
      pub.disconnect();
    });

    it('ioredis: binary channels and payloads arrive byte for byte', async () => {
      const sub = await ioredis();
      const pub = await ioredis();
      const channel = Buffer.from([0x69, 0x6f, 0x00, 0xff, 0x80, protocol]);
      const payload = Buffer.from([0, 1, 2, 0xfe, 0xff, 13, 10, 0x24]);
      const got: Buffer[][] = [];
      sub.on('messageBuffer', (ch: Buffer, message: Buffer) => got.push([ch, message]));
      await sub.subscribe(channel);
      expect(await pub.publish(channel, payload)).toBe(1);
      await until('the binary message', () => got.length === 1);
      expect(got[0]).toEqual([channel, payload]);
      sub.disconnect();
      pub.disconnect();
    });

    it('ioredis: PING while subscribed', async () => {
      const sub = await ioredis();
      await sub.subscribe(`io${protocol}:ping`);
      // RESP2 answers ["pong", ""], which ioredis hands back as such; RESP3 a plain PONG.
      expect(await sub.ping()).toEqual(protocol === 2 ? ['pong', ''] : 'PONG');
      sub.disconnect();
    });

    const nodeRedis = async () => {
      const c = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: protocol, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };

    it('node-redis: listeners per channel, pattern and shard channel; unsubscribe', async () => {
      const sub = await nodeRedis();
      const pub = await nodeRedis();
      const k = (name: string) => `nr${protocol}:${name}`;
      const got: string[][] = [];
      await sub.subscribe([k('a'), k('b')], (message, channel) => got.push(['message', channel, message]));
      await sub.pSubscribe(k('p*'), (message, channel) => got.push(['pmessage', channel, message]));
      await sub.sSubscribe(k('s'), (message, channel) => got.push(['smessage', channel, message]));
      expect(await pub.publish(k('a'), 'one')).toBe(1);
      expect(await pub.publish(k('pq'), 'two')).toBe(1);
      expect(await pub.sPublish(k('s'), 'three')).toBe(1);
      expect(await pub.publish(k('b'), 'four')).toBe(1);
      await until('four messages', () => got.length === 4);
      expect(got).toEqual([
        ['message', k('a'), 'one'],
        ['pmessage', k('pq'), 'two'],
        ['smessage', k('s'), 'three'],
        ['message', k('b'), 'four'],
      ]);
      expect(await pub.pubSubNumSub([k('a'), k('b'), k('c')])).toEqual({ [k('a')]: 1, [k('b')]: 1, [k('c')]: 0 });
      expect(await pub.pubSubShardNumSub([k('s')])).toEqual({ [k('s')]: 1 });
      expect((await pub.pubSubChannels(k('*'))).sort()).toEqual([k('a'), k('b')]);
      expect(await pub.pubSubShardChannels(k('*'))).toEqual([k('s')]);
      expect(await pub.pubSubNumPat()).toBeGreaterThanOrEqual(1);
      await sub.unsubscribe(k('a'));
      await sub.pUnsubscribe();
      await sub.sUnsubscribe();
      expect(await pub.publish(k('a'), 'nobody')).toBe(0);
      expect(await pub.publish(k('b'), 'five')).toBe(1);
      await until('the fifth message', () => got.length === 5);
      expect(got[4]).toEqual(['message', k('b'), 'five']);
      await sub.unsubscribe();
      // (node-redis hands this PONG back as a Buffer in RESP2, with redis-server too.)
      expect(String(await sub.ping())).toBe('PONG');
      sub.destroy();
      pub.destroy();
    });
  });

  it('node-redis RESP3: one connection subscribes, publishes and runs commands', async () => {
    const c = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect();
    const got: string[] = [];
    await c.subscribe('nr3:self', (message) => got.push(message));
    expect(await c.set('nr3:key', 'v')).toBe('OK');
    expect(await c.publish('nr3:self', 'to myself')).toBe(1);
    expect(await c.get('nr3:key')).toBe('v');
    await until('own message', () => got.length === 1);
    expect(got).toEqual(['to myself']);
    c.destroy();
  });

  it('fans out to 1,000 subscribers on 100 channels and 10 patterns, every message counted', async () => {
    const CHANNELS = 100;
    const PATTERNS = 10;
    const MESSAGES_PER_CHANNEL = 5;
    const channel = (i: number) => `fan:${i}`;
    // fan:3* matches fan:3 and fan:30..fan:39; the pattern subscribers are the last 100.
    const pattern = (j: number) => `fan:${j}*`;
    const subscribers: { redis: Redis; received: number; expected: number }[] = [];
    for (let i = 0; i < 1000; i++) {
      const redis = new Redis({
        port: server.port,
        host: '127.0.0.1',
        protocol: i % 2 === 0 ? 2 : 3,
        lazyConnect: true,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
      });
      subscribers.push({ redis, received: 0, expected: 0 });
    }
    try {
      await Promise.all(subscribers.map((s) => s.redis.connect()));
      const perChannel = new Array<number>(CHANNELS).fill(0);
      await Promise.all(
        subscribers.map(async (s, i) => {
          if (i < 900) {
            const ch = i % CHANNELS;
            perChannel[ch]++;
            s.expected = MESSAGES_PER_CHANNEL;
            s.redis.on('message', (c: string) => {
              if (c === channel(ch)) s.received++;
            });
            await s.redis.subscribe(channel(ch));
          } else {
            const p = pattern(i % PATTERNS);
            const matching = Array.from({ length: CHANNELS }, (_, c) => channel(c)).filter((c) => c.startsWith(p.slice(0, -1)));
            s.expected = matching.length * MESSAGES_PER_CHANNEL;
            s.redis.on('pmessage', (pat: string) => {
              if (pat === p) s.received++;
            });
            await s.redis.psubscribe(p);
          }
        }),
      );
      const publisher = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      await publisher.connect();
      const patternSubscribersOf = (c: number) => {
        const name = channel(c);
        let n = 0;
        for (let j = 0; j < PATTERNS; j++) if (name.startsWith(pattern(j).slice(0, -1))) n += 100 / PATTERNS;
        return n;
      };
      for (let m = 0; m < MESSAGES_PER_CHANNEL; m++) {
        const pipeline = publisher.pipeline();
        for (let c = 0; c < CHANNELS; c++) pipeline.publish(channel(c), `m${m}`);
        const results = (await pipeline.exec())!;
        results.forEach(([err, receivers], c) => {
          expect(err).toBeNull();
          expect(receivers).toBe(perChannel[c] + patternSubscribersOf(c));
        });
      }
      await until('every subscriber got its messages', () => subscribers.every((s) => s.received >= s.expected));
      // Nothing more arrives: a round trip on each connection, then the counts again.
      await Promise.all(subscribers.map((s) => s.redis.ping()));
      for (const s of subscribers) expect(s.received).toBe(s.expected);
      // fan:0* matches fan:0 alone, fan:1*..fan:9* eleven channels each.
      expect(subscribers.reduce((n, s) => n + s.received, 0)).toBe(900 * 5 + 10 * 1 * 5 + 90 * 11 * 5);
      publisher.disconnect();
    } finally {
      for (const s of subscribers) s.redis.disconnect();
    }
  });
});
