/**
 * Group consumption over the gateway, in both framings: RESP producers and WebSocket
 * consumers sharing a group, acks seen by XPENDING, recovery of what a dead consumer
 * held (on its return or claimed by another), nacks, exact credits, reconnects.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { frame, type DeliveredMessage } from '../../protocol/gateway-frames.js';
import type { Message, Subscription } from '../../clients/gateway-client.js';
import { rawSession, suiteGatewayBroker, type RawSession } from './harness.js';

const b = suiteGatewayBroker();
let redis: Redis;
beforeAll(() => {
  redis = b.redis();
});

/** Adds `n` entries `n=<i>` to `stream`, pipelined. */
async function produce(stream: string, n: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i += 1000) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(i + 1000, from + n); j++) pipeline.xadd(stream, '*', 'n', String(j));
    for (const [err, id] of (await pipeline.exec())!) {
      if (err !== null) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}

/** Takes `n` messages from a subscription. */
async function take(sub: Subscription, n: number): Promise<Message[]> {
  const out: Message[] = [];
  if (n === 0) return out;
  for await (const m of { [Symbol.asyncIterator]: () => ({ next: () => sub.next() }) }) {
    out.push(m);
    if (out.length === n) break;
  }
  return out;
}

/** Messages from a raw session's `messages` frames until `n` arrived. */
async function receive(s: RawSession, n: number): Promise<DeliveredMessage[]> {
  const out: DeliveredMessage[] = [];
  while (out.length < n) out.push(...(await s.next('messages')).messages);
  return out;
}

/** An entry's line in XPENDING's extended form, or null when it is not pending. */
async function pendingEntry(stream: string, id: string): Promise<{ consumer: string; idle: number; deliveries: number } | null> {
  const rows = (await redis.xpending(stream, 'g', id, id, 1)) as [string, string, number, number][];
  return rows.length === 0 ? null : { consumer: rows[0][1], idle: rows[0][2], deliveries: rows[0][3] };
}

async function pendingCount(stream: string, group: string, consumer?: string): Promise<number> {
  if (consumer === undefined) return ((await redis.xpending(stream, group)) as [number])[0];
  return ((await redis.xpending(stream, group, '-', '+', 1_000_000, consumer)) as unknown[]).length;
}

describe.each(['json', 'protobuf'] as const)('consume (%s)', (encoding) => {
  const key = (name: string): string => `${encoding}:${name}`;

  it('4 consumers share 100,000 entries a RESP producer adds, each acked exactly once', async () => {
    const stream = key('shared');
    const total = 100_000;
    await redis.xgroup('CREATE', stream, 'workers', '$', 'MKSTREAM');
    const seen = new Map<string, number>();
    const perConsumer = [0, 0, 0, 0];
    const clients = await Promise.all([0, 1, 2, 3].map(() => b.client({ encoding })));
    const subs = clients.map((c, i) => c.consume({ stream, group: 'workers', consumer: `w${i}`, prefetch: 400, batch: 200 }));
    let done: () => void;
    const allSeen = new Promise<void>((resolve) => (done = resolve));
    const loops = subs.map(async (sub, i) => {
      for await (const m of sub) {
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        perConsumer[i]++;
        m.ack();
        if (seen.size === total) done();
      }
    });
    const ids = await produce(stream, total);
    await allSeen;
    await Promise.all(clients.map((c) => c.ping()));
    await Promise.all(subs.map((s) => s.cancel()));
    await Promise.all(loops);
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(ids)).toEqual(new Set(seen.keys()));
    expect(perConsumer.every((n) => n > 0)).toBe(true);
    expect(await pendingCount(stream, 'workers')).toBe(0);
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    expect(groups[0]).toContain('entries-read');
    expect(groups[0][groups[0].indexOf('entries-read') + 1]).toBe(total);
  });

  it('XPENDING over RESP reflects the acks sent over WebSocket', async () => {
    const stream = key('xpending');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const client = await b.client({ encoding });
    const sub = client.consume({ stream, group: 'g', consumer: 'c', prefetch: 20 });
    const ids = await produce(stream, 10);
    const got = await take(sub, 10);
    expect(got.map((m) => m.id)).toEqual(ids);
    expect(got.every((m) => m.deliveries === 1)).toBe(true);
    for (const m of got.slice(0, 4)) m.ack();
    await client.ping();
    const pending = (await redis.xpending(stream, 'g', '-', '+', 100, 'c')) as [string, string, number, number][];
    expect(pending.map((p) => p[0])).toEqual(ids.slice(4));
    expect(await pendingCount(stream, 'g')).toBe(6);
  });

  it('a consumer killed mid-batch gets its unacked entries first when it comes back', async () => {
    const stream = key('killed');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const ids = await produce(stream, 10);
    const dying = await rawSession(b.url, { encoding });
    dying.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'alice', credit: 10 }));
    await dying.next('ok');
    const batch = await receive(dying, 10);
    dying.send(frame('ack', { sub: 'a', ids: batch.slice(0, 3).map((m) => m.id) }));
    dying.send(frame('ping', { ref: 2 }));
    await dying.next('pong');
    dying.ws.terminate();
    await dying.closed;
    expect(await pendingCount(stream, 'g', 'alice')).toBe(7);
    const more = await produce(stream, 2, 10);
    const client = await b.client({ encoding });
    const back = await take(client.consume({ stream, group: 'g', consumer: 'alice', prefetch: 5 }), 9);
    expect(back.map((m) => m.id)).toEqual([...ids.slice(3), ...more]);
    expect(back.map((m) => m.deliveries)).toEqual([2, 2, 2, 2, 2, 2, 2, 1, 1]);
    expect(back[0].fields).toEqual({ n: '3' });
  });

  it("another consumer claims a dead consumer's entries once idle (claimIdleMs)", async () => {
    const stream = key('claimed');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const ids = await produce(stream, 5);
    const dying = await rawSession(b.url, { encoding });
    dying.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'dead', credit: 5 }));
    await receive(dying, 5);
    dying.ws.terminate();
    const client = await b.client({ encoding });
    const claimed = await take(client.consume({ stream, group: 'g', consumer: 'heir', claimIdleMs: 100 }), 5);
    expect(claimed.map((m) => m.id)).toEqual(ids);
    expect(claimed.every((m) => m.deliveries === 2)).toBe(true);
    for (const m of claimed) m.ack();
    await client.ping();
    expect(await pendingCount(stream, 'g')).toBe(0);
  });

  it('a nacked entry comes back, at once or after its delay, held by its consumer meanwhile', async () => {
    const stream = key('nack');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const [id1, id2] = await produce(stream, 2);
    const client = await b.client({ encoding });
    const sub = client.consume({ stream, group: 'g', consumer: 'c', prefetch: 10 });
    const [first, second] = await take(sub, 2);
    first.nack();
    const [again] = await take(sub, 1);
    expect(again.id).toBe(id1);
    expect(again.deliveries).toBe(2);
    second.nack(60_000);
    await client.ping();
    // Held back for its delay: still c's, idle from the nack, not taken by a claimer of idle entries.
    expect(await pendingEntry(stream, id2)).toEqual({ consumer: 'c', idle: expect.any(Number), deliveries: 1 });
    expect((await pendingEntry(stream, id2))!.idle).toBeLessThan(60_000);
    const claimed = (await redis.xautoclaim(stream, 'g', 'other', 60_000, '0-0', 'COUNT', 10, 'JUSTID')) as [string, string[]];
    expect(claimed[1]).toEqual([]);
    again.nack(50);
    const [third] = await take(sub, 1);
    expect(third.id).toBe(id1);
    expect(third.deliveries).toBe(3);
  });

  it('a nacked entry is claimable by any consumer once released (at once, or after its delay), over RESP', async () => {
    const stream = key('nack-claimable');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const [id1, id2, id3] = await produce(stream, 3);
    // An entry of another consumer: a nack through this subscription leaves it alone.
    await redis.xreadgroup('GROUP', 'g', 'other', 'COUNT', 1, 'STREAMS', stream, '>');
    const s = await rawSession(b.url, { encoding });
    // Credit for two: the released entries wait for credit, claimable meanwhile.
    s.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'c', credit: 2 }));
    await s.next('ok');
    expect((await receive(s, 2)).map((m) => m.id)).toEqual([id2, id3]);
    s.send(frame('nack', { ref: 2, sub: 'a', ids: [id2, id1] }));
    await s.next('ok');
    // Released at once: last delivered at the epoch, so XAUTOCLAIM with any min-idle-time takes it.
    expect((await pendingEntry(stream, id2))!.idle).toBeGreaterThan(Date.now() - 60_000);
    expect(await pendingEntry(stream, id1)).toMatchObject({ consumer: 'other', deliveries: 1 });
    const taken = (await redis.xautoclaim(stream, 'g', 'other', 3_600_000, '0-0', 'COUNT', 10, 'JUSTID')) as [string, string[]];
    expect(taken[1]).toEqual([id2]);
    // With a delay: held by c, idle from the nack, then released.
    s.send(frame('nack', { ref: 3, sub: 'a', ids: [id3], delayMs: 50 }));
    await s.next('ok');
    expect(await pendingEntry(stream, id3)).toMatchObject({ consumer: 'c', deliveries: 1 });
    while ((await pendingEntry(stream, id3))!.idle < Date.now() - 60_000) await new Promise((r) => setTimeout(r, 20));
    // Credit again: c claims back what nobody took (id3), not what `other` took (id2).
    s.send(frame('credit', { sub: 'a', n: 5 }));
    const back = await receive(s, 1);
    expect(back.map((m) => [m.id, m.deliveries])).toEqual([[id3, 2]]);
    s.send(frame('ping', { ref: 9 }));
    await s.next('pong');
    expect(s.frames.filter((f) => f.type === 'messages')).toEqual([]);
    expect(await pendingEntry(stream, id2)).toMatchObject({ consumer: 'other', deliveries: 1 });
    s.ws.close();
    await s.closed;
  });

  it('never sends more than the credit granted', async () => {
    const stream = key('credit');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    // Credit outstanding in the other tests' sessions, idle meanwhile.
    const others = b.gateway.sessionFigures().credits;
    const s = await rawSession(b.url, { encoding });
    s.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'c', credit: 3, batch: 2 }));
    await s.next('ok');
    await produce(stream, 10);
    expect((await receive(s, 3)).length).toBe(3);
    const barrier = async (): Promise<void> => {
      s.send(frame('ping', { ref: 9 }));
      await s.next('pong');
    };
    await barrier();
    expect(s.frames.filter((f) => f.type === 'messages')).toEqual([]);
    s.send(frame('credit', { sub: 'a', n: 2 }));
    expect((await receive(s, 2)).length).toBe(2);
    await produce(stream, 1, 10);
    await barrier();
    expect(s.frames.filter((f) => f.type === 'messages')).toEqual([]);
    expect(b.gateway.sessionFigures().credits).toBe(others);
    s.send(frame('credit', { sub: 'a', n: 100 }));
    expect((await receive(s, 6)).length).toBe(6);
    await barrier();
    expect(b.gateway.sessionFigures().credits).toBe(others + 94);
    expect(await pendingCount(stream, 'g', 'c')).toBe(11);
    s.ws.close();
    await s.closed;
  });

  it('a consumer resumes after its connection is cut: pending entries first, then new ones', async () => {
    const stream = key('reconnect');
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const states: string[] = [];
    const client = await b.client({ encoding, onState: (state) => states.push(state) });
    const sub = client.consume({ stream, group: 'g', consumer: 'resumer', prefetch: 10 });
    const ids = await produce(stream, 4);
    const got = await take(sub, 4);
    got[0].ack();
    got[1].ack();
    await client.ping();
    // The broker cuts the consumer's link (as CLIENT KILL or an output limit would).
    const list = (await redis.client('LIST')) as string;
    const links = list.split('\n').filter((l) => l.includes('laddr=gateway') && l.includes('cmd=xreadgroup'));
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) await redis.client('KILL', 'ID', /id=(\d+)/.exec(l)![1]);
    const later = await produce(stream, 1, 4);
    const resumed = await take(sub, 3);
    expect(resumed.map((m) => m.id)).toEqual([ids[2], ids[3], later[0]]);
    expect(states).toContain('reconnecting');
    for (const m of resumed) m.ack();
    await client.ping();
    expect(await pendingCount(stream, 'g')).toBe(0);
  });
});

// The engine's clock and the gateway's differ by a millisecond either way, and libuv's
// timers round their own way: many rounds, so that some fall on a millisecond's edge.
describe('nack, round after round (json)', () => {
  const rounds = 100;

  it('an entry released and taken by another consumer in the same moment is not claimed back', async () => {
    const stream = 'nack-race';
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const s = await rawSession(b.url, { encoding: 'json' });
    s.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'c', credit: 1 }));
    await s.next('ok');
    for (let k = 0; k < rounds; k++) {
      const [id] = await produce(stream, 1, k);
      // The credit's one message: a claim back would come before the new entry.
      expect((await receive(s, 1)).map((m) => m.id)).toEqual([id]);
      s.send(frame('nack', { ref: 2, sub: 'a', ids: [id] }));
      await s.next('ok');
      const taken = (await redis.xautoclaim(stream, 'g', 'other', 3_600_000, id, 'COUNT', 1, 'JUSTID')) as [string, string[]];
      expect(taken[1]).toEqual([id]);
      s.send(frame('credit', { sub: 'a', n: 1 }));
    }
    const [last] = await produce(stream, 1, rounds);
    expect((await receive(s, 1)).map((m) => m.id)).toEqual([last]);
    expect(await pendingCount(stream, 'g', 'other')).toBe(rounds);
    s.ws.close();
    await s.closed;
  });

  it('an entry nacked with a delay of a millisecond comes back every time', async () => {
    const stream = 'nack-short';
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const s = await rawSession(b.url, { encoding: 'json' });
    s.send(frame('consume', { ref: 1, sub: 'a', stream, group: 'g', consumer: 'c', credit: rounds + 1 }));
    await s.next('ok');
    const [id] = await produce(stream, 1);
    expect((await receive(s, 1)).map((m) => m.id)).toEqual([id]);
    for (let k = 0; k < rounds; k++) {
      s.send(frame('nack', { ref: 2, sub: 'a', ids: [id], delayMs: 1 }));
      await s.next('ok');
      expect((await receive(s, 1)).map((m) => [m.id, m.deliveries])).toEqual([[id, k + 2]]);
    }
    s.ws.close();
    await s.closed;
  });
});
