/**
 * Client-side caching (CLIENT TRACKING) against redis-server: the same clients do the
 * same things on both servers, and every reply and invalidation message each client
 * receives must be the same bytes, in the same order. Client ids differ between the
 * servers; where they show they are masked.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { show, suiteServers, type DiffPair } from '../harness/diff.js';
import type { RawClient } from '../harness/raw.js';

/** A RESP2 subscribed client's PING reply, or anyone else's. */
function isPong(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  return text === '+PONG\r\n' || text === '*2\r\n$4\r\npong\r\n$0\r\n\r\n';
}

/** Everything `c` received before the reply to a PING sent now: pushes and messages that arrived meanwhile. */
async function received(c: RawClient): Promise<string[]> {
  c.write('*1\r\n$4\r\nPING\r\n');
  const out: string[] = [];
  for (;;) {
    const r = await c.read();
    if (isPong(r.raw)) return out;
    out.push(show(r.raw));
  }
}

/** Expects both connections of `p` to have received the same messages. */
async function sameReceived(p: DiffPair, what: string): Promise<string[]> {
  const [ours, ref] = await Promise.all([received(p.ours), received(p.ref)]);
  expect(ours, what).toEqual(ref);
  return ours;
}

async function resp3(p: DiffPair): Promise<void> {
  await p.both('HELLO', '3');
}

/** Each side's own client id of `p` (they differ between the servers). */
async function ids(p: DiffPair): Promise<{ ours: string; ref: string }> {
  const { ours, ref } = await p.both('CLIENT', 'ID');
  return { ours: String(ours.value), ref: String(ref.value) };
}

/** Runs a command naming a client id, each side with its own id; expects the same replies. */
async function sameWithId(p: DiffPair, id: { ours: string; ref: string }, ...argv: string[]): Promise<void> {
  const fill = (v: string): string[] => argv.map((a) => (a === '$ID' ? v : a));
  const [ours, ref] = await Promise.all([p.ours.call(...fill(id.ours)), p.ref.call(...fill(id.ref))]);
  const mask = (raw: Buffer, v: string): string => show(raw).replaceAll(`:${v}\\r`, ':<id>\\r');
  expect(mask(ours.raw, id.ours), argv.join(' ')).toBe(mask(ref.raw, id.ref));
}

describe.skipIf(!hasRedisServer())('CLIENT TRACKING vs redis-server', () => {
  const servers = suiteServers();
  const pairs: DiffPair[] = [];

  /** Fresh connections for one test, and an empty dataset. */
  async function clients(n: number): Promise<DiffPair[]> {
    for (const p of pairs.splice(0)) p.close();
    for (let i = 0; i < n; i++) pairs.push(await servers.pair());
    await pairs[0].same('FLUSHALL');
    await pairs[0].same('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    return [...pairs];
  }

  it('parses options and refuses bad combinations with the same errors', async () => {
    const [a, b] = await clients(2);
    const idB = await ids(b);
    for (const argv of [
      ['CLIENT', 'TRACKING'],
      ['CLIENT', 'TRACKING', 'maybe'],
      ['CLIENT', 'TRACKING', 'on', 'foo'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'x'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '0'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '-5'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '99999'],
      ['CLIENT', 'TRACKING', 'off', 'REDIRECT', '99999'],
      ['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX'],
      ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', '', 'PREFIX', 'x'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKINGINFO', 'x'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'CACHING'],
      ['CLIENT', 'TRACKING', 'on'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'CACHING', 'maybe'],
      ['CLIENT', 'TRACKING', 'on', 'OPTIN'],
      ['CLIENT', 'TRACKING', 'on', 'OPTOUT'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'GETREDIR'],
      ['GET', 'x'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'OPTOUT', 'NOLOOP'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'c', 'PREFIX', 'b'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'c'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKINGINFO'],
    ]) {
      await a.same(...argv);
    }
    await sameWithId(a, idB, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$ID', 'REDIRECT', '$ID');
    await sameWithId(a, idB, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$ID');
    await sameWithId(a, idB, 'CLIENT', 'GETREDIR');
    await sameWithId(a, idB, 'CLIENT', 'TRACKINGINFO');
    await a.inResp3(() => sameWithId(a, idB, 'CLIENT', 'TRACKINGINFO'));
    await a.same('CLIENT', 'TRACKING', 'off');
  });

  it('RESP3: reads are remembered, a write by anyone invalidates each key once', async () => {
    const [reader, writer] = await clients(2);
    await resp3(reader);
    await reader.same('CLIENT', 'TRACKING', 'on');
    await writer.same('MSET', 'a', '1', 'b', '2', 'c', '3');
    await reader.same('GET', 'a');
    await reader.same('MGET', 'b', 'c', 'missing');
    await reader.same('HGET', 'h', 'f');
    await reader.same('EXISTS', 'e');
    await writer.same('SET', 'a', 'x');
    await sameReceived(reader, 'after SET a');
    await writer.same('SET', 'a', 'y');
    expect(await sameReceived(reader, 'a second SET of a key not read since')).toEqual([]);
    await writer.same('DEL', 'b', 'c');
    await writer.same('HSET', 'h', 'f', 'v');
    await writer.same('SET', 'e', '1');
    await writer.same('SET', 'missing', '1');
    const messages = await sameReceived(reader, 'after DEL, HSET, SET');
    expect(messages.length).toBe(5);
    await reader.same('GET', 'a');
    await writer.same('RENAME', 'a', 'z');
    await writer.same('INCR', 'unread');
    await sameReceived(reader, 'after RENAME');
  });

  it('RESP3: the client changing a key it read gets the invalidation after its reply, unless NOLOOP', async () => {
    const [c, other] = await clients(2);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on');
    await c.same('GET', 'k');
    await c.samePipeline([['SET', 'k', 'v'], ['GET', 'k'], ['APPEND', 'k', 'w'], ['GET', 'k']]);
    await sameReceived(c, 'own writes');
    await c.same('MULTI');
    await c.same('GET', 'k');
    await c.same('SET', 'k', '1');
    await c.same('GET', 'k');
    await c.same('SET', 'k', '2');
    await c.same('EXEC');
    await sameReceived(c, 'inside EXEC');
    await c.same('CLIENT', 'TRACKING', 'on', 'NOLOOP');
    await c.same('GET', 'k');
    await c.same('SET', 'k', '3');
    expect(await sameReceived(c, 'NOLOOP, own write')).toEqual([]);
    await c.same('GET', 'k');
    await other.same('SET', 'k', '4');
    await sameReceived(c, 'NOLOOP, write by another');
  });

  it('FLUSHDB and FLUSHALL send a null invalidation to every tracking client', async () => {
    const [c, d, writer] = await clients(3);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on');
    await c.same('GET', 'k');
    await d.same('CLIENT', 'TRACKING', 'on');
    await writer.same('FLUSHDB');
    await sameReceived(c, 'FLUSHDB');
    await writer.same('SELECT', '3');
    await writer.same('FLUSHALL');
    await sameReceived(c, 'FLUSHALL');
    await c.same('FLUSHALL');
    await sameReceived(c, 'own FLUSHALL');
    await c.same('INFO', 'nosuch');
    const info = async (x: RawClient): Promise<string[]> =>
      String((await x.call('INFO', 'everything')).value)
        .split('\r\n')
        .filter((l) => l.startsWith('tracking_'));
    await c.same('GET', 'k2');
    expect(await info(writer.ours)).toEqual(await info(writer.ref));
  });

  it('OPTIN tracks only after CLIENT CACHING YES, for the next command or transaction', async () => {
    const [c, writer] = await clients(2);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on', 'OPTIN');
    await c.same('GET', 'a');
    await c.same('CLIENT', 'CACHING', 'yes');
    await c.same('GET', 'b');
    await c.same('GET', 'c');
    await c.same('CLIENT', 'CACHING', 'yes');
    await c.same('CLIENT', 'GETNAME');
    await c.same('GET', 'd');
    await c.same('CLIENT', 'CACHING', 'yes');
    await c.same('MULTI');
    await c.same('GET', 'e');
    await c.same('GET', 'f');
    await c.same('EXEC');
    await c.same('CLIENT', 'CACHING', 'yes');
    await c.same('NOSUCHCOMMAND');
    await c.same('GET', 'g');
    await writer.same('MSET', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'e', '1', 'f', '1', 'g', '1');
    await sameReceived(c, 'OPTIN');
  });

  it('OPTOUT tracks everything but the command after CLIENT CACHING NO', async () => {
    const [c, writer] = await clients(2);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on', 'OPTOUT');
    await c.same('GET', 'a');
    await c.same('CLIENT', 'CACHING', 'no');
    await c.same('GET', 'b');
    await c.same('GET', 'c');
    await writer.same('MSET', 'a', '1', 'b', '1', 'c', '1');
    await sameReceived(c, 'OPTOUT');
  });

  it('BCAST sends, once per turn and prefix, every changed key under the prefix, sorted', async () => {
    const [c, writer] = await clients(2);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:');
    await writer.same('MSET', 'user:2', 'a', 'user:1', 'b', 'obj:9', 'c', 'other', 'd', 'user:10', 'e');
    await sameReceived(c, 'MSET under two prefixes');
    await writer.samePipeline([['SET', 'user:5', 'x'], ['DEL', 'obj:9'], ['SET', 'zzz', '1']]);
    await sameReceived(c, 'a pipeline of writes');
    await c.same('SET', 'user:7', 'own');
    await sameReceived(c, 'own write');
    await c.same('CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP');
    await c.same('SET', 'user:7', 'own again');
    expect(await sameReceived(c, 'own write with NOLOOP')).toEqual([]);
    await c.same('CLIENT', 'TRACKINGINFO');
    const [d] = [await servers.pair()];
    pairs.push(d);
    await resp3(d);
    await d.same('CLIENT', 'TRACKING', 'on', 'BCAST');
    await writer.same('SET', 'anything', '1');
    await writer.same('SET', 'user:8', '1');
    await sameReceived(d, 'BCAST without a prefix');
    await sameReceived(c, 'the prefixed client meanwhile');
    await c.same('CLIENT', 'TRACKING', 'off');
    await writer.same('SET', 'user:1', '2');
    expect(await sameReceived(c, 'after TRACKING off')).toEqual([]);
  });

  it('REDIRECT to a RESP2 connection subscribed to __redis__:invalidate, and a broken redirection', async () => {
    const [tracker, sink, writer] = await clients(3);
    const sinkId = await ids(sink);
    await sink.same('SUBSCRIBE', '__redis__:invalidate');
    await sameWithId(tracker, sinkId, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', '$ID');
    await tracker.same('GET', 'k');
    await tracker.same('GET', 'j');
    await writer.same('SET', 'k', '1');
    await tracker.same('SET', 'j', '1');
    expect(await sameReceived(sink, 'messages on the channel')).toHaveLength(2);
    await writer.same('FLUSHALL');
    expect(await sameReceived(sink, 'a flush on the channel')).toHaveLength(1);
    await sameWithId(tracker, sinkId, 'CLIENT', 'GETREDIR');
    // The same with a RESP3 tracker: its null is RESP3's, written to the RESP2 connection.
    await resp3(tracker);
    await writer.same('FLUSHALL');
    await sameReceived(sink, 'a RESP3 tracker flush on the channel');
    await tracker.same('GET', 'k');
    sink.close();
    await new Promise((r) => setTimeout(r, 100));
    await writer.same('SET', 'k', '2');
    const shownId = (m: string[], id: string): string[] => m.map((s) => s.replace(`:${id}\\r`, ':<id>\\r'));
    const [ours, ref] = await Promise.all([received(tracker.ours), received(tracker.ref)]);
    expect(shownId(ours, sinkId.ours)).toEqual(shownId(ref, sinkId.ref));
    expect(ours.length).toBe(1);
    await sameWithId(tracker, sinkId, 'CLIENT', 'TRACKINGINFO');
    const flags = async (x: RawClient): Promise<string> => /flags=(\S+)/.exec(String((await x.call('CLIENT', 'INFO')).value))![1];
    expect(await flags(tracker.ours)).toBe(await flags(tracker.ref));
  });

  it('RESP2 without a redirection tracks but receives nothing', async () => {
    const [c, writer] = await clients(2);
    await c.same('CLIENT', 'TRACKING', 'on');
    await c.same('GET', 'k');
    await writer.same('SET', 'k', '1');
    expect(await sameReceived(c, 'RESP2')).toEqual([]);
    const flags = async (x: RawClient): Promise<string> => /flags=(\S+).*redir=(\S+)/.exec(String((await x.call('CLIENT', 'INFO')).value))!.slice(1).join(' ');
    expect(await flags(c.ours)).toBe(await flags(c.ref));
  });

  it('expiry invalidates, lazily or by the expire cycle', async () => {
    const [c, other] = await clients(2);
    await resp3(c);
    await c.same('CLIENT', 'TRACKING', 'on');
    // Read by another client once expired (the expire cycle may come first: the same message either way).
    await other.same('SET', 'lazy', 'v', 'PX', '50');
    await c.same('GET', 'lazy');
    await new Promise((r) => setTimeout(r, 120));
    await other.same('GET', 'lazy');
    expect(await sameReceived(c, 'lazy expiry by another client')).toHaveLength(1);
    // Read by nobody: the expire cycle (10 times a second) finds a key alone in its db within a few runs.
    await other.same('SET', 'active', 'v', 'PX', '50');
    await c.same('GET', 'active');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sameReceived(c, 'active expiry')).toHaveLength(1);
  });

  it('tracking-table-max-keys forgets keys over the limit, invalidating them', async () => {
    const [c] = await clients(1);
    await resp3(c);
    await c.same('CONFIG', 'SET', 'tracking-table-max-keys', '2');
    await c.same('CLIENT', 'TRACKING', 'on');
    // redis-server forgets random keys, this broker the oldest: which key is masked.
    const anyKey = (raw: Buffer): string => show(raw).replace(/(invalidate\\r\\n\*1\\r\\n\$1\\r\\n)./g, '$1?');
    await c.samePipeline([['GET', 'a'], ['GET', 'b'], ['GET', 'c'], ['GET', 'd']], anyKey);
    const [ours, ref] = await Promise.all([received(c.ours), received(c.ref)]);
    expect(ours.length).toBe(ref.length);
    const keys = async (x: RawClient): Promise<string> => /tracking_total_keys:(\d+)/.exec(String((await x.call('INFO', 'stats')).value))![1];
    expect(await keys(c.ours)).toBe(await keys(c.ref));
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
