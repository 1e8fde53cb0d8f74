/**
 * Sessions: authentication (header, query, first frame), malformed and oversized
 * frames, session limits, request errors, a client that stops reading, and the other
 * operations (produce, read, pop, subscribe) with their effects seen over RESP.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { frame, SUBPROTOCOL_JSON, type ErrorFrame } from '../../protocol/gateway-frames.js';
import { rawSession, startGatewayBroker, suiteGatewayBroker, type RawSession } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('authentication', () => {
  const b = suiteGatewayBroker(['--requirepass', 's3cret']);

  it('takes the password from the Authorization header', async () => {
    const s = await rawSession(b.url, { headers: { authorization: 'Bearer s3cret' } });
    s.ws.close();
  });

  it('takes the password from the token query parameter', async () => {
    const s = await rawSession(`${b.url}?token=s3cret`);
    s.ws.close();
  });

  it('takes the password from the first frame, and answers NOAUTH before it', async () => {
    const s = await rawSession(b.url, { waitReady: false });
    s.send(frame('ping', { ref: 1 }));
    expect(await s.next('error')).toMatchObject({ ref: 1, code: 'NOAUTH' });
    s.send(frame('auth', { password: 's3cret' }));
    expect(await s.next('ready')).toMatchObject({ version: 1, heartbeatMs: 15000, maxFrameBytes: 1048576 });
    s.send(frame('ping', { ref: 2 }));
    expect(await s.next('pong')).toEqual({ type: 'pong', ref: 2 });
    s.ws.close();
  });

  it.each([
    ['header', { headers: { authorization: 'Bearer wrong' } }, ''],
    ['query', {}, '?token=wrong'],
  ])('closes with 4001 for a wrong password in the %s', async (_, options, query) => {
    const s = await rawSession(b.url + query, { ...options, waitReady: false });
    expect(await s.closed).toEqual({ code: 4001, reason: 'invalid password' });
  });

  it('closes with 4001 for a wrong password in the auth frame', async () => {
    const s = await rawSession(b.url, { waitReady: false });
    s.send(frame('auth', { password: 'nope' }));
    expect(await s.closed).toEqual({ code: 4001, reason: 'invalid password' });
    expect(b.gateway.stats.dropped.get('auth')).toBeGreaterThanOrEqual(3);
  });

  it('engine links authenticate themselves: consuming works under requirepass', async () => {
    const redis = b.redis('s3cret');
    await redis.xadd('authed', '*', 'a', '1');
    const client = await b.client({ password: 's3cret' });
    const sub = client.read({ stream: 'authed', from: '0' });
    const { value } = await sub.next();
    expect(value?.fields).toEqual({ a: '1' });
  });
});

describe('malformed frames and limits', () => {
  const b = suiteGatewayBroker(['--gateway-max-frame-bytes', '4096', '--gateway-max-sessions', '20']);

  it.each([
    ['invalid JSON', '{"type":', 'malformed frame: invalid JSON'],
    ['an unknown frame type', '{"type":"explode"}', 'malformed frame: unknown frame type "explode"'],
    ['a field of the wrong type', '{"type":"credit","sub":"a","n":"many"}', 'malformed frame: credit.n must be an integer from 0 to 4294967295'],
    ['a frame only the server sends', '{"type":"ok","ref":1}', 'malformed frame: ok is a frame the server sends'],
  ])('closes the session with 4000 for %s', async (_, data, reason) => {
    const s = await rawSession(b.url);
    s.ws.send(data);
    const closed = await s.closed;
    expect(closed.code).toBe(4000);
    expect(closed.reason.startsWith(reason)).toBe(true);
  });

  it('closes a JSON session that sends a binary frame, and a protobuf one that sends garbage', async () => {
    const json = await rawSession(b.url);
    json.ws.send(Buffer.from([1, 2, 3]));
    expect(await json.closed).toEqual({ code: 4000, reason: 'malformed frame: a binary frame on the JSON subprotocol' });
    const proto = await rawSession(b.url, { encoding: 'protobuf' });
    proto.ws.send(Buffer.from([0x8a]));
    expect(await proto.closed).toEqual({ code: 4000, reason: 'malformed frame: truncated varint' });
    expect(b.gateway.stats.dropped.get('bad_frame')).toBeGreaterThanOrEqual(6);
  });

  it('closes with 1009 for a frame over gateway-max-frame-bytes, and the broker goes on', async () => {
    const s = await rawSession(b.url);
    s.ws.send(JSON.stringify({ type: 'auth', password: 'x'.repeat(5000) }));
    expect((await s.closed).code).toBe(1009);
    const after = await rawSession(b.url);
    after.send(frame('ping', { ref: 1 }));
    expect(await after.next('pong')).toEqual({ type: 'pong', ref: 1 });
    after.ws.close();
  });

  it('refuses sessions past gateway-max-sessions with 1013', async () => {
    await expect.poll(() => b.gateway.sessionFigures().sessions).toBe(0);
    const open: RawSession[] = [];
    for (let i = 0; i < 20; i++) open.push(await rawSession(b.url));
    const refused = await rawSession(b.url, { waitReady: false });
    expect(await refused.closed).toEqual({ code: 1013, reason: 'too many sessions (gateway-max-sessions)' });
    for (const s of open) s.ws.close();
    await Promise.all(open.map((s) => s.closed));
  });

  it('answers a plain GET /ws with 426 and other upgrade paths with 404', async () => {
    const res = await fetch(`http://127.0.0.1:${b.httpPort}/ws`);
    expect(res.status).toBe(426);
    const ws = new WebSocket(`ws://127.0.0.1:${b.httpPort}/elsewhere`, [SUBPROTOCOL_JSON]);
    const status = await new Promise((resolve) => ws.on('unexpected-response', (_, r) => resolve(r.statusCode)).on('error', () => resolve('error')));
    expect(status).toBe(404);
  });
});

describe('request errors', () => {
  const b = suiteGatewayBroker();
  let s: RawSession;
  beforeAll(async () => {
    s = await rawSession(b.url);
  });

  const error = async (): Promise<ErrorFrame> => s.next('error');

  it('reports an unknown stream or group as NOGROUP, ending the subscription', async () => {
    s.send(frame('consume', { ref: 1, sub: 'x', stream: 'missing', group: 'g', consumer: 'c', credit: 1 }));
    expect(await error()).toEqual({
      type: 'error',
      ref: 1,
      sub: 'x',
      code: 'NOGROUP',
      message: "NOGROUP No such key 'missing' or consumer group 'g'",
      ended: true,
    });
    await b.redis().xadd('exists', '*', 'a', '1');
    s.send(frame('consume', { ref: 2, sub: 'x', stream: 'exists', group: 'nogroup', consumer: 'c', credit: 1 }));
    expect(await error()).toMatchObject({ ref: 2, code: 'NOGROUP', ended: true });
  });

  it('creates the group when asked', async () => {
    s.send(frame('consume', { ref: 3, sub: 'created', stream: 'fresh', group: 'g', consumer: 'c', create: true, credit: 1 }));
    expect(await s.next('ok')).toEqual({ type: 'ok', ref: 3 });
    expect(await b.redis().xinfo('GROUPS', 'fresh')).toHaveLength(1);
  });

  it('reports the broker error for a key of another type', async () => {
    await b.redis().set('a-string', 'v');
    s.send(frame('consume', { ref: 4, sub: 'w', stream: 'a-string', group: 'g', consumer: 'c', create: true }));
    expect(await error()).toMatchObject({ ref: 4, code: 'WRONGTYPE', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
  });

  it('refuses missing fields, duplicate and unknown subscriptions, and acks of what has nothing to ack', async () => {
    s.send(frame('consume', { ref: 5, sub: 'y', stream: 's', group: 'g' }));
    expect(await error()).toMatchObject({ ref: 5, code: 'BAD_REQUEST', message: 'consume needs consumer' });
    s.send(frame('consume', { ref: 6, sub: 'created', stream: 'fresh', group: 'g', consumer: 'c' }));
    expect(await error()).toMatchObject({ ref: 6, code: 'DUPLICATE_SUB' });
    s.send(frame('credit', { sub: 'nobody', n: 1 }));
    expect(await error()).toMatchObject({ ref: 0, code: 'UNKNOWN_SUB', sub: 'nobody' });
    s.send(frame('ack', { ref: 7, sub: 'created', ids: [] }));
    expect(await error()).toMatchObject({ ref: 7, code: 'BAD_REQUEST', message: 'ids must not be empty' });
    s.send(frame('read', { ref: 8, sub: 'r', stream: 'fresh', from: '0' }));
    await s.next('ok');
    s.send(frame('ack', { ref: 9, sub: 'r', ids: ['1-1'] }));
    expect(await error()).toMatchObject({ ref: 9, code: 'NOT_ACKABLE' });
    s.send(frame('produce', { ref: 10, stream: 'p', fields: [bytes('odd')] }));
    expect(await error()).toMatchObject({ ref: 10, code: 'BAD_REQUEST' });
    s.send(frame('produce', { ref: 11, stream: 'p', id: '0-0', fields: [bytes('a'), bytes('b')] }));
    expect(await error()).toMatchObject({ ref: 11, code: 'ERR', message: 'ERR The ID specified in XADD must be greater than 0-0' });
    s.send(frame('ping', { ref: 12 }));
    expect(await s.next('pong')).toEqual({ type: 'pong', ref: 12 });
  });
});

describe('operations', () => {
  const b = suiteGatewayBroker();

  it('produce: XADD with an ID, trimming and NOMKSTREAM, through the command path', async () => {
    const redis = b.redis();
    const watcher = b.redis();
    await redis.config('SET', 'notify-keyspace-events', 'KEA');
    const events: string[] = [];
    await watcher.subscribe('__keyspace@0__:produced');
    watcher.on('message', (_, event: string) => events.push(event));
    const client = await b.client({ encoding: 'protobuf' });
    expect(await client.produce('produced', { a: '1' }, { id: '5-1' })).toBe('5-1');
    for (let i = 0; i < 20; i++) await client.produce('produced', [['n', String(i)], ['n', 'again']], { maxlen: 10 });
    expect(await redis.xlen('produced')).toBe(10);
    const [[, last]] = (await redis.xrevrange('produced', '+', '-', 'COUNT', 1)) as [string, string[]][];
    expect(last).toEqual(['n', '19', 'n', 'again']);
    expect(await client.produce('never-made', { a: '1' }, { noMkStream: true })).toBe('');
    expect(await redis.exists('never-made')).toBe(0);
    await client.produce('produced', { binary: new Uint8Array([0, 255, 10]) }, { minid: '6', approximate: true });
    const binary = (await redis.xrevrangeBuffer('produced', '+', '-', 'COUNT', 1)) as [Buffer, Buffer[]][];
    expect([...binary[0][1][1]]).toEqual([0, 255, 10]);
    const stats = (await redis.info('commandstats')) as string;
    expect(stats).toMatch(/cmdstat_xadd:calls=2[2-9]/);
    expect(events).toContain('xadd');
    expect(events).toContain('xtrim');
  });

  it('read: from an ID, and from $ (new entries only)', async () => {
    const redis = b.redis();
    const [first] = [await redis.xadd('log', '*', 'n', '0'), await redis.xadd('log', '*', 'n', '1')];
    const client = await b.client();
    const fromStart = client.read({ stream: 'log', from: first! });
    const fromNow = client.read({ stream: 'log' });
    await client.ping();
    await redis.xadd('log', '*', 'n', '2');
    expect((await fromStart.next()).value?.fields).toEqual({ n: '1' });
    expect((await fromStart.next()).value?.fields).toEqual({ n: '2' });
    const m = (await fromNow.next()).value!;
    expect(m.fields).toEqual({ n: '2' });
    expect(m.deliveries).toBe(0);
  });

  it('pop: a reliable list queue; ack removes the item, nack puts it back, a returning consumer gets its items', async () => {
    const redis = b.redis();
    await redis.lpush('jobs', 'a', 'b', 'c');
    const s = await rawSession(b.url);
    s.send(frame('pop', { ref: 1, sub: 'q', list: 'jobs', consumer: 'w1', credit: 3 }));
    await s.next('ok');
    const items: { id: string; value: string }[] = [];
    while (items.length < 3) for (const m of (await s.next('messages')).messages) items.push({ id: m.id, value: text(m.value) });
    expect(items.map((i) => i.value)).toEqual(['a', 'b', 'c']);
    expect(await redis.lrange('jobs:processing:w1', 0, -1)).toEqual(['c', 'b', 'a']);
    s.send(frame('ack', { ref: 2, sub: 'q', ids: [items[0].id] }));
    await s.next('ok');
    expect(await redis.lrange('jobs:processing:w1', 0, -1)).toEqual(['c', 'b']);
    s.send(frame('ack', { ref: 3, sub: 'q', ids: [items[0].id] }));
    expect(await s.next('error')).toMatchObject({ ref: 3, code: 'UNKNOWN_ID' });
    s.send(frame('nack', { ref: 4, sub: 'q', ids: [items[1].id] }));
    await s.next('ok');
    s.send(frame('credit', { sub: 'q', n: 1 }));
    const again = (await s.next('messages')).messages[0];
    expect(text(again.value)).toBe('b');
    s.ws.terminate();
    await s.closed;
    // Back with the same name: what its processing list holds comes first, oldest first.
    const client = await b.client();
    const sub = client.pop({ list: 'jobs', consumer: 'w1' });
    const first = (await sub.next()).value!;
    const second = (await sub.next()).value!;
    expect([first.value, second.value]).toEqual(['c', 'b']);
    first.ack();
    second.ack();
    await client.ping();
    expect(await redis.llen('jobs:processing:w1')).toBe(0);
  });

  it('subscribe: channels and patterns, within the credit', async () => {
    const redis = b.redis();
    const s = await rawSession(b.url, { encoding: 'protobuf' });
    s.send(frame('subscribe', { ref: 1, sub: 'news', channels: ['news'], patterns: ['alerts.*'], credit: 2 }));
    await s.next('ok');
    expect(await redis.publish('news', 'hello')).toBe(1);
    expect(await redis.publish('alerts.fire', 'run')).toBe(1);
    expect(await redis.publish('news', 'later')).toBe(1);
    const got = [...(await s.next('messages')).messages];
    while (got.length < 2) got.push(...(await s.next('messages')).messages);
    expect(got.map((m) => [text(m.channel), text(m.pattern), text(m.value)])).toEqual([
      ['news', '', 'hello'],
      ['alerts.fire', 'alerts.*', 'run'],
    ]);
    s.send(frame('ping', { ref: 2 }));
    await s.next('pong');
    expect(s.frames).toEqual([]);
    s.send(frame('credit', { sub: 'news', n: 5 }));
    expect(text((await s.next('messages')).messages[0].value)).toBe('later');
    s.ws.close();
  });
});

describe('a client that stops reading', () => {
  const b = suiteGatewayBroker(['--gateway-session-buffer-limit', '1mb', '--gateway-heartbeat-interval', '60']);

  it('is closed with 4008 once its unsent output passes the limit; its deliveries stay pending; the broker stops reading for it', async () => {
    const redis = b.redis();
    await redis.xgroup('CREATE', 'firehose', 'g', '$', 'MKSTREAM');
    const s = await rawSession(b.url);
    s.send(frame('consume', { ref: 1, sub: 'f', stream: 'firehose', group: 'g', consumer: 'slow', credit: 4_000_000_000, batch: 500 }));
    await s.next('ok');
    // Stops reading its socket: TCP fills, then the session's buffer.
    (s.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'x'.repeat(1024);
    const total = 40_000;
    for (let i = 0; i < total; i += 1000) {
      const pipeline = redis.pipeline();
      for (let j = 0; j < 1000; j++) pipeline.xadd('firehose', '*', 'p', payload);
      await pipeline.exec();
    }
    await expect.poll(() => b.gateway.stats.dropped.get('slow_consumer') ?? 0).toBe(1);
    // Closed: its output waits for the peer to read or the grace to end, no more than the limit and a batch.
    expect(b.gateway.sessionFigures().sessions).toBe(0);
    expect(b.gateway.sessionFigures().bufferedBytes).toBeLessThan(2 * 1024 * 1024);
    const delivered = b.gateway.stats.delivered;
    // Bounded: the 1 MB buffer, what TCP holds, and the last batch; far from all 40 MB.
    expect(delivered).toBeLessThan(total / 2);
    expect(((await redis.xpending('firehose', 'g')) as [number])[0]).toBe(delivered);
    (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await s.closed;
    expect(closed.code).toBe(4008);
    expect(closed.reason).toMatch(/not reading/);
  });
});

describe('heartbeats', () => {
  const b = suiteGatewayBroker(['--gateway-heartbeat-interval', '1', '--requirepass', 'pw']);

  it('cut off a peer that does not answer the pings; keep one that does', async () => {
    const deaf = new WebSocket(b.url, [SUBPROTOCOL_JSON], { autoPong: false, headers: { authorization: 'Bearer pw' } });
    const deafClosed = new Promise<number>((resolve) => deaf.on('close', (code) => resolve(code)));
    const live = await rawSession(b.url, { headers: { authorization: 'Bearer pw' } });
    const pinged = new Promise<void>((resolve) => live.ws.once('ping', () => resolve()));
    expect(await deafClosed).toBe(1006);
    await pinged;
    expect(b.gateway.stats.dropped.get('heartbeat')).toBe(1);
    live.send(frame('ping', { ref: 1 }));
    expect(await live.next('pong')).toEqual({ type: 'pong', ref: 1 });
    live.ws.close();
  });

  it('close a session that does not authenticate in time with 4001', async () => {
    const s = await rawSession(b.url, { waitReady: false });
    expect(await s.closed).toEqual({ code: 4001, reason: 'authentication timed out' });
  });
});

describe("the broker's client limit and its shutdown", () => {
  it('closes a session the broker has no room for (maxclients) with 1013; it is served once a client leaves', async () => {
    const b = await startGatewayBroker(['--maxclients', '1']);
    try {
      const redis = b.redis();
      await redis.ping();
      const s = await rawSession(b.url);
      s.send(frame('produce', { ref: 1, stream: 's', fields: [bytes('a'), bytes('1')] }));
      expect(await s.closed).toEqual({ code: 1013, reason: 'max number of clients reached (maxclients)' });
      redis.disconnect();
      await expect.poll(() => b.broker.connections.size).toBe(0);
      const again = await rawSession(b.url);
      again.send(frame('produce', { ref: 2, stream: 's', id: '1-1', fields: [bytes('a'), bytes('1')] }));
      expect(await again.next('produced')).toEqual({ type: 'produced', ref: 2, id: '1-1' });
      again.ws.close();
      expect(b.gateway.stats.dropped.get('session_limit')).toBe(1);
    } finally {
      await b.stop();
    }
  });

  it('closes every session with 1001 when the broker shuts down', async () => {
    const b = await startGatewayBroker();
    try {
      const sessions = [await rawSession(b.url), await rawSession(b.url, { encoding: 'protobuf' })];
      expect(await b.broker.shutdown({ save: false, nosave: false, now: false, force: false })).toBe(null);
      for (const s of sessions) expect(await s.closed).toEqual({ code: 1001, reason: 'the broker is shutting down' });
    } finally {
      await b.stop();
    }
  });
});
