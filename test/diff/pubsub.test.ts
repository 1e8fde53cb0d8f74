/**
 * Pub/sub against redis-server, byte for byte: subscribe/unsubscribe flows over
 * channels, patterns and shard channels, message delivery, RESP2 subscribed mode and
 * its errors, RESP3 pushes, PUBSUB introspection, CLIENT LIST and INFO fields.
 *
 * Where redis-server answers in its hash tables' order (UNSUBSCRIBE of several
 * channels without arguments, pmessages of several matching patterns, PUBSUB
 * CHANNELS) the replies are compared as sorted lists; everything else exactly.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { show, suiteServers, type DiffPair } from '../harness/diff.js';
import { encodeCommand, type RawClient } from '../harness/raw.js';
import type { Effect } from '../../engine/engine.js';

/** Sends `argv` to both sides and compares the next `n` replies of each, in order. */
async function sameReplies(p: DiffPair, argv: string[], n: number): Promise<void> {
  await p.sameRaw(encodeCommand(argv), n);
}

/** The next `n` replies on both sides, compared in order (messages pushed by a PUBLISH). */
async function sameNext(p: DiffPair, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [o, r] = await Promise.all([p.ours.read(), p.ref.read()]);
    expect(show(o.raw), `pushed reply ${i}`).toBe(show(r.raw));
  }
}

/**
 * Sends an argument-less UNSUBSCRIBE-like `argv` to both sides and compares its `n`
 * confirmations, which come in hash-table order: the frames without their counts as
 * a set, and the counts (falling by one each) in order.
 */
async function sameUnordered(p: DiffPair, argv: string[], n: number): Promise<void> {
  p.ours.write(encodeCommand(argv));
  p.ref.write(encodeCommand(argv));
  const frames: Record<'ours' | 'ref', string[]> = { ours: [], ref: [] };
  const counts: Record<'ours' | 'ref', string[]> = { ours: [], ref: [] };
  for (let i = 0; i < n; i++) {
    const [o, r] = await Promise.all([p.ours.read(), p.ref.read()]);
    for (const [side, raw] of [['ours', o.raw], ['ref', r.raw]] as const) {
      const text = raw.toString('latin1');
      const countAt = text.lastIndexOf(':');
      frames[side].push(JSON.stringify(text.slice(0, countAt)));
      counts[side].push(text.slice(countAt));
    }
  }
  expect(frames.ours.sort(), `replies to ${argv.join(' ')}`).toEqual(frames.ref.sort());
  expect(counts.ours, `counts in replies to ${argv.join(' ')}`).toEqual(counts.ref);
}

/** An array reply (PUBSUB CHANNELS) compared as a sorted list of its elements. */
async function sameSortedArray(p: DiffPair, ...argv: string[]): Promise<string[]> {
  const { ours, ref } = await p.both(...argv);
  const sorted = (v: unknown): string[] => (v as string[]).slice().sort();
  expect(sorted(ours.value), `reply to ${argv.join(' ')}`).toEqual(sorted(ref.value));
  return sorted(ours.value);
}

/** One field of CLIENT INFO or INFO (`name=value` or `name:value`). */
function field(text: unknown, name: string, sep: '=' | ':'): string | undefined {
  const m = new RegExp(`(?:^|[ \\r\\n])${name}${sep}([^ \\r\\n]*)`).exec(String(text));
  return m?.[1];
}

/** Until `cond` holds on both sides (a closed subscriber is forgotten asynchronously). */
async function eventually(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never held');
}

describe.skipIf(!hasRedisServer())('pub/sub vs redis-server', () => {
  const servers = suiteServers();

  it('subscribes and unsubscribes channels, counting channels plus patterns', async () => {
    const s = await servers.pair();
    await sameReplies(s, ['SUBSCRIBE', 'flow:a', 'flow:b', 'flow:c'], 3);
    await sameReplies(s, ['SUBSCRIBE', 'flow:a'], 1); // already subscribed: same count
    await sameReplies(s, ['PSUBSCRIBE', 'flow:*', 'flow:?', 'flow:*'], 3);
    await sameReplies(s, ['UNSUBSCRIBE', 'flow:b', 'flow:b', 'flow:none'], 3);
    await sameReplies(s, ['PUNSUBSCRIBE', 'flow:?', 'nomatch'], 2);
    // Remaining: flow:a, flow:c and the pattern flow:*; the order of these is redis-server's hash order.
    await sameUnordered(s, ['UNSUBSCRIBE'], 2);
    await sameReplies(s, ['UNSUBSCRIBE'], 1); // nothing left: a nil channel and the count
    await sameReplies(s, ['PUNSUBSCRIBE'], 1); // the one pattern, then out of subscribed mode
    await sameReplies(s, ['PUNSUBSCRIBE'], 1);
    await sameReplies(s, ['SUNSUBSCRIBE'], 1);
    await s.same('GET', 'flow:key'); // normal commands again
  });

  it('answers UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE without subscriptions', async () => {
    const s = await servers.pair();
    await s.same('UNSUBSCRIBE');
    await s.same('PUNSUBSCRIBE');
    await s.same('SUNSUBSCRIBE');
    await sameReplies(s, ['UNSUBSCRIBE', 'x', 'y'], 2);
    await sameReplies(s, ['PUNSUBSCRIBE', 'x*'], 1);
    await sameReplies(s, ['SUNSUBSCRIBE', 'x'], 1);
    await s.same('PING');
  });

  it('delivers messages to channel and pattern subscribers and counts receivers', async () => {
    const sub = await servers.pair();
    const psub = await servers.pair();
    const pub = await servers.pair();
    await sameReplies(sub, ['SUBSCRIBE', 'news:sport', 'news:art'], 2);
    await sameReplies(psub, ['PSUBSCRIBE', 'news:s*'], 1);
    await pub.same('PUBLISH', 'news:sport', 'goal');
    await sameNext(sub);
    await sameNext(psub);
    await pub.same('PUBLISH', 'news:art', 'painting');
    await sameNext(sub);
    await pub.same('PUBLISH', 'news:science', 'atom');
    await sameNext(psub);
    await pub.same('PUBLISH', 'nobody', 'listens');
    await pub.same('PUBLISH', 'news:sport', ''); // empty message
    await sameNext(sub);
    await sameNext(psub);
    const binary = 'bin\x00\xff\r\n';
    await sameReplies(sub, ['SUBSCRIBE', binary], 1);
    await pub.same('PUBLISH', binary, 'payload\x00\x80\xff');
    await sameNext(sub);
    // Nothing else is pending on either side: the next reply is the PING's.
    await sub.same('PING');
    await psub.same('PING', 'x');
  });

  it('delivers one pmessage per matching pattern of a client, glob syntax as redis-server', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    const patterns = ['glob:*', 'glob:h?llo', 'glob:h[ae]llo', 'glob:h[^e]llo', 'glob:h[a-b]llo', 'glob:\\*', 'glob:hello'];
    await sameReplies(sub, ['PSUBSCRIBE', ...patterns], patterns.length);
    await sameReplies(sub, ['SUBSCRIBE', 'glob:hallo'], 1);
    for (const channel of ['glob:hello', 'glob:hallo', 'glob:hxllo', 'glob:*', 'glob:', 'other']) {
      const receivers = Number((await pub.same('PUBLISH', channel, `to ${channel}`)).value);
      // The channel's message first, then one pmessage per pattern in hash order: compared as sets.
      const read = async (c: RawClient): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < receivers; i++) out.push(show((await c.read()).raw));
        return out.sort();
      };
      const [o, r] = await Promise.all([read(sub.ours), read(sub.ref)]);
      expect(o, `deliveries for ${channel}`).toEqual(r);
    }
    await sub.same('PING');
  });

  it('keeps shard channels apart: SSUBSCRIBE counts, SPUBLISH, no patterns', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sameReplies(sub, ['SUBSCRIBE', 'shard:a'], 1);
    await sameReplies(sub, ['PSUBSCRIBE', 'shard:*'], 1);
    await sameReplies(sub, ['SSUBSCRIBE', 'shard:a', 'shard:b', 'shard:a'], 3); // counts shard channels only
    await pub.same('SPUBLISH', 'shard:a', 'sharded'); // one receiver: patterns never see it
    await sameNext(sub);
    await pub.same('PUBLISH', 'shard:b', 'plain'); // the pattern only
    await sameNext(sub);
    await pub.same('SPUBLISH', 'shard:none', 'x');
    await sameReplies(sub, ['SUNSUBSCRIBE', 'shard:b', 'shard:zzz'], 2);
    await sameReplies(sub, ['UNSUBSCRIBE', 'shard:a'], 1); // the pattern still counts
    await sameReplies(sub, ['SUNSUBSCRIBE'], 1); // shard:a, the last shard channel
    await sameReplies(sub, ['PUNSUBSCRIBE'], 1);
    await sub.same('GET', 'shard:key');
  });

  it('allows only the subscribed-mode commands in RESP2, with redis-server errors', async () => {
    const s = await servers.pair();
    await sameReplies(s, ['SSUBSCRIBE', 'mode:s'], 1); // a shard subscription alone enters the mode too
    await s.same('GET', 'k');
    await s.same('SET', 'k', 'v');
    await s.same('CLIENT', 'LIST');
    await s.same('CLIENT', 'ID');
    await s.same('HELLO', '3');
    await s.same('SELECT', '1');
    await s.same('PUBLISH', 'mode:s', 'x');
    await s.same('PUBSUB', 'NUMPAT');
    await s.same('GET'); // arity is checked first
    await s.same('NOSUCHCOMMAND', 'a');
    await s.same('PING');
    await s.same('PING', 'payload');
    await s.same('PING', 'a', 'b');
    await sameReplies(s, ['SUBSCRIBE', 'mode:c'], 1);
    await sameReplies(s, ['PSUBSCRIBE', 'mode:*'], 1);
    await s.same('RESET'); // leaves every subscription silently
    await s.same('GET', 'k');
    await s.same('PUBSUB', 'NUMSUB', 'mode:c');
    await s.same('PUBSUB', 'SHARDNUMSUB', 'mode:s');
    await sameReplies(s, ['SUBSCRIBE', 'mode:q'], 1);
    await s.same('QUIT');
    await Promise.all([s.ours.waitClosed(), s.ref.waitClosed()]);
  });

  it('counts the subscribed-mode rejections as rejected calls and errors', async () => {
    const s = await servers.pair();
    await s.same('CONFIG', 'RESETSTAT');
    await sameReplies(s, ['SUBSCRIBE', 'stat:c'], 1);
    await s.same('ECHO', 'x');
    await s.same('RESET');
    const { ours, ref } = await s.both('INFO', 'commandstats');
    for (const text of [ours.value, ref.value]) {
      expect(String(text)).toContain('cmdstat_echo:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0');
    }
    const errors = await s.both('INFO', 'errorstats');
    expect(String(errors.ours.value)).toBe(String(errors.ref.value));
  });

  it('runs normal commands while subscribed in RESP3, with push frames', async () => {
    const s = await servers.pair();
    const pub = await servers.pair();
    await s.both('HELLO', '3'); // ids differ
    await sameReplies(s, ['SUBSCRIBE', 'r3:a', 'r3:b'], 2);
    await s.same('SET', 'r3:key', 'v');
    await s.same('GET', 'r3:key');
    await s.same('PING');
    await s.same('PUBLISH', 'r3:a', 'to myself'); // the push comes before the reply
    await sameNext(s);
    await pub.same('PUBLISH', 'r3:b', 'from another');
    await sameNext(s);
    await sameReplies(s, ['PSUBSCRIBE', 'r3:*'], 1);
    await pub.same('PUBLISH', 'r3:zz', 'pattern');
    await sameNext(s);
    await sameReplies(s, ['SSUBSCRIBE', 'r3:s'], 1);
    await pub.same('SPUBLISH', 'r3:s', 'shard');
    await sameNext(s);
    await sameReplies(s, ['UNSUBSCRIBE', 'r3:a', 'r3:b', 'r3:none'], 3);
    await sameReplies(s, ['UNSUBSCRIBE'], 1); // `_` for the channel
    await sameReplies(s, ['PUNSUBSCRIBE'], 1);
    await sameReplies(s, ['SUNSUBSCRIBE'], 1);
    await sameReplies(s, ['SUNSUBSCRIBE'], 1);
    await s.both('HELLO', '2'); // ids differ
    await sameReplies(s, ['SUBSCRIBE', 'r3:back-to-2'], 1); // RESP2 frames again
    await s.same('GET', 'r3:key');
  });

  it('keeps pushes under CLIENT REPLY OFF and SKIP, as redis-server', async () => {
    const off = await servers.pair();
    const pub = await servers.pair();
    off.ours.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
    off.ref.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
    await sameReplies(off, ['SUBSCRIBE', 'mute:a'], 1);
    await pub.same('PUBLISH', 'mute:a', 'still delivered');
    await sameNext(off);
    const skip = await servers.pair();
    skip.ours.write(encodeCommand(['CLIENT', 'REPLY', 'SKIP']));
    skip.ref.write(encodeCommand(['CLIENT', 'REPLY', 'SKIP']));
    await sameReplies(skip, ['SUBSCRIBE', 'mute:b'], 1);
    await skip.same('PING');
    const r3 = await servers.pair();
    await r3.both('HELLO', '3');
    r3.ours.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
    r3.ref.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
    await sameReplies(r3, ['SUBSCRIBE', 'mute:c'], 1);
    r3.ours.write(encodeCommand(['PUBLISH', 'mute:c', 'own message, muted reply']));
    r3.ref.write(encodeCommand(['PUBLISH', 'mute:c', 'own message, muted reply']));
    await sameNext(r3); // the message, not the integer reply
    await r3.same('CLIENT', 'REPLY', 'ON');
    await r3.same('GET', 'mute:key');
  });

  it('introspects with PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB, HELP', async () => {
    const a = await servers.pair();
    const b = await servers.pair();
    const q = await servers.pair();
    await sameReplies(a, ['SUBSCRIBE', 'intro:x', 'intro:y', 'intro:\x00z'], 3);
    await sameReplies(b, ['SUBSCRIBE', 'intro:x'], 1);
    await sameReplies(b, ['PSUBSCRIBE', 'intro:*', 'other:*'], 2);
    await sameReplies(a, ['PSUBSCRIBE', 'intro:*'], 1);
    await sameReplies(a, ['SSUBSCRIBE', 'intro:s1', 'intro:s2'], 2);
    await sameReplies(b, ['SSUBSCRIBE', 'intro:s1'], 1);
    expect(await sameSortedArray(q, 'PUBSUB', 'CHANNELS', 'intro:*')).toEqual(['intro:\x00z', 'intro:x', 'intro:y']);
    await sameSortedArray(q, 'PUBSUB', 'CHANNELS', 'intro:[xz]');
    await q.same('PUBSUB', 'CHANNELS', 'intro:x');
    await q.same('PUBSUB', 'CHANNELS', 'nothing*');
    await q.same('PUBSUB', 'NUMSUB', 'intro:x', 'intro:y', 'intro:none', 'intro:s1');
    await q.same('PUBSUB', 'NUMSUB');
    await q.same('PUBSUB', 'NUMPAT'); // distinct patterns, not subscriptions
    expect(await sameSortedArray(q, 'PUBSUB', 'SHARDCHANNELS')).toEqual(['intro:s1', 'intro:s2']);
    await q.same('PUBSUB', 'SHARDCHANNELS', '*2');
    await q.same('PUBSUB', 'SHARDNUMSUB', 'intro:s1', 'intro:s2', 'intro:x');
    await q.same('PUBSUB', 'SHARDNUMSUB');
    await q.same('PUBSUB', 'HELP');
    await q.same('PUBSUB', 'help');
    await q.same('PUBSUB', 'CHANNELS', 'a', 'b');
    await q.same('PUBSUB', 'SHARDCHANNELS', 'a', 'b');
    await q.same('PUBSUB', 'NUMPAT', 'x');
    await q.same('PUBSUB', 'HELP', 'x');
    await q.same('PUBSUB', 'NOSUCH');
    await q.same('PUBSUB');
    // A subscriber that disconnects is forgotten.
    a.close();
    b.close();
    await eventually(async () => {
      const { ours, ref } = await q.both('PUBSUB', 'NUMSUB', 'intro:x');
      return show(ours.raw) === show(ref.raw) && (ours.value as unknown[])[1] === 0;
    });
    await q.same('PUBSUB', 'CHANNELS', 'intro:*');
    await q.same('PUBSUB', 'SHARDCHANNELS', 'intro:*');
    await q.same('PUBSUB', 'NUMPAT');
  });

  it('reports sub=, psub=, ssub= and the P flag in CLIENT LIST, and pubsub counts in INFO', async () => {
    const s = await servers.pair();
    const q = await servers.pair();
    await s.both('CLIENT', 'SETNAME', 'listed');
    await sameReplies(s, ['SUBSCRIBE', 'cl:a', 'cl:b'], 2);
    await sameReplies(s, ['PSUBSCRIBE', 'cl:*'], 1);
    await sameReplies(s, ['SSUBSCRIBE', 'cl:s'], 1);
    const list = await q.both('CLIENT', 'LIST', 'TYPE', 'pubsub');
    const line = (text: unknown): string => String(text).split('\n').find((l) => l.includes(' name=listed ')) ?? '';
    for (const name of ['name', 'flags', 'sub', 'psub', 'ssub', 'cmd']) {
      expect(field(line(list.ours.value), name, '='), name).toBe(field(line(list.ref.value), name, '='));
    }
    expect(field(line(list.ours.value), 'flags', '=')).toBe('P');
    const info = await q.both('INFO', 'stats');
    for (const name of ['pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels']) {
      expect(field(info.ours.value, name, ':'), name).toBe(field(info.ref.value, name, ':'));
    }
    expect(field(info.ours.value, 'pubsub_channels', ':')).not.toBe('0');
    await s.same('RESET');
    const after = await s.both('CLIENT', 'INFO');
    for (const name of ['flags', 'sub', 'psub', 'ssub']) {
      expect(field(after.ours.value, name, '='), name).toBe(field(after.ref.value, name, '='));
    }
    expect(field(after.ours.value, 'flags', '=')).toBe('N');
  });
});

describe('PUBLISH propagation', () => {
  it('propagates PUBLISH and SPUBLISH as themselves, subscribed or not; subscriptions not at all', async () => {
    const { startBroker } = await import('../harness/servers.js');
    const { RawClient } = await import('../harness/raw.js');
    const server = await startBroker();
    const units: Effect[][] = [];
    server.broker.engine.onEffects((unit) => units.push(unit));
    const c = await RawClient.connect(server.port);
    try {
      await c.call('PUBLISH', 'prop', 'nobody');
      await c.call('SPUBLISH', 'prop', 'nobody');
      await c.call('HELLO', '3');
      await c.call('SUBSCRIBE', 'prop');
      await c.call('PUBSUB', 'NUMSUB', 'prop');
      expect((await c.call('PUBLISH', 'prop', 'me')).value).toEqual({ push: ['message', 'prop', 'me'] });
      expect((await c.read()).value).toBe(1);
      expect(units).toEqual([
        [{ db: 0, argv: ['PUBLISH', 'prop', 'nobody'] }],
        [{ db: 0, argv: ['SPUBLISH', 'prop', 'nobody'] }],
        [{ db: 0, argv: ['PUBLISH', 'prop', 'me'] }],
      ]);
    } finally {
      c.close();
      await server.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
