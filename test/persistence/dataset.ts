/**
 * Shared by the persistence suites: a dataset with every type and the stream states
 * that are easy to lose (consumer groups, pending entries, deleted entries, lag
 * metadata), and helpers to compare what survived.
 */
import { encodeCommand, type RawClient } from '../harness/raw.js';
import type { Decoded } from '../../protocol/decoder.js';

/** Sends commands pipelined and returns their replies; throws on an error reply. */
export async function run(c: RawClient, commands: readonly (readonly string[])[]): Promise<Decoded[]> {
  c.write(Buffer.concat(commands.map((argv) => encodeCommand(argv))));
  const replies = await c.readMany(commands.length);
  replies.forEach((r, i) => {
    if (r.raw[0] === 0x2d) throw new Error(`${commands[i].join(' ')}: ${r.raw.toString('latin1')}`);
  });
  return replies.map((r) => r.value);
}

/** Strings (with TTLs, binary, in several dbs), lists, hashes and sets in each encoding, and streams in every state. */
export async function fillMixedDataset(c: RawClient): Promise<void> {
  const commands: string[][] = [
    ['SET', 'str:plain', 'hello'],
    ['SET', 'str:int', '12345'],
    ['SET', 'str:ttl', 'soon', 'EX', '100000'],
    ['SET', 'str:\x00\xff\r\n', '\x00binary\xff'],
    ['SET', 'str:big', 'x'.repeat(100_000)],
    ['APPEND', 'str:appended', 'abc'],
    ['RPUSH', 'list:small', 'a', 'b', '', 'c'],
    ['PEXPIRE', 'list:small', '500000000'],
    ...Array.from({ length: 50 }, (_, i) => ['LPUSH', 'list:big', ...Array.from({ length: 20 }, (__, j) => `item-${i}-${j}`)]),
    ['LREM', 'list:big', '3', 'item-10-5'],
    ['HSET', 'hash:small', 'a', '1', 'b', 'two', 'c', '-3', '\x00', '\xff'],
    ['PEXPIRE', 'hash:small', '500000000'],
    ['HSET', 'hash:long', 'f', 'x'.repeat(100)],
    ...Array.from({ length: 3 }, (_, i) => ['HSET', 'hash:big', ...Array.from({ length: 300 }, (__, j) => [`field-${i}-${j}`, String(j)]).flat()]),
    ['SADD', 'set:ints', '3', '1', '-70000', '9223372036854775807'],
    ['SADD', 'set:words', 'a', 'b', '\x00'],
    ['SADD', 'set:big', ...Array.from({ length: 1000 }, (_, i) => String(i * 7))],
    ...Array.from({ length: 300 }, (_, i) => ['XADD', 's:plain', '*', 'field', `value-${i}`, ...(i % 7 === 0 ? ['other', 'x'] : [])]),
    ...Array.from({ length: 30 }, (_, i) => ['XADD', 's:groups', `${1000 + i}-0`, 'n', String(i)]),
    ['XGROUP', 'CREATE', 's:groups', 'g1', '0'],
    ['XGROUP', 'CREATE', 's:groups', 'g2', '$', 'ENTRIESREAD', '30'],
    ['XGROUP', 'CREATE', 's:groups', 'g\x00bin', '1010-0'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '10', 'STREAMS', 's:groups', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '5', 'STREAMS', 's:groups', '>'],
    ['XACK', 's:groups', 'g1', '1002-0', '1003-0'],
    ['XCLAIM', 's:groups', 'g1', 'carol', '0', '1004-0', '1011-0', 'RETRYCOUNT', '7'],
    ['XGROUP', 'CREATECONSUMER', 's:groups', 'g2', 'idle'],
    ['XREADGROUP', 'GROUP', 'g\x00bin', 'z', 'STREAMS', 's:groups', '>'],
    ...Array.from({ length: 250 }, (_, i) => ['XADD', 's:deleted', `${i + 1}-${i}`, 'a', String(i), 'b', 'y'.repeat(i % 50)]),
    ['XDEL', 's:deleted', '10-9', '11-10', '200-199'],
    ['XTRIM', 's:deleted', 'MAXLEN', '~', '180'],
    ['XSETID', 's:deleted', '99999-0', 'ENTRIESADDED', '1000', 'MAXDELETEDID', '500-0'],
    ['XADD', 's:empty', 'MAXLEN', '0', '5-5', 'f', 'v'],
    ['XGROUP', 'CREATE', 's:empty', 'g', '$'],
    ['SELECT', '3'],
    ['SET', 'db3:key', 'three'],
    ['XADD', 'db3:stream', '1-1', 'f', 'v'],
    ['SELECT', '0'],
  ];
  await run(c, commands);
}

/** Everything XINFO STREAM FULL and XINFO GROUPS/CONSUMERS show, idle times masked. */
export async function streamState(c: RawClient, key: string): Promise<unknown> {
  const [full, groups] = await run(c, [
    ['XINFO', 'STREAM', key, 'FULL'],
    ['XINFO', 'GROUPS', key],
  ]);
  return { full, groups: maskIdle(groups) };
}

/** XINFO GROUPS and CONSUMERS report times relative to now: keep their shape only. */
function maskIdle(v: Decoded): Decoded {
  if (!Array.isArray(v)) return v;
  const out: Decoded[] = [];
  for (let i = 0; i < v.length; i++) {
    out.push(maskIdle(v[i]));
    if (v[i] === 'idle' || v[i] === 'inactive') {
      out.push('*');
      i++;
    }
  }
  return out;
}

/** The streams `fillMixedDataset` creates. */
export const STREAMS = ['s:plain', 's:groups', 's:deleted', 's:empty'];

/** Replaces every consumer's seen-time (which replayed effects set to the replay time). */
export function maskSeenTime(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSeenTime(x)]));
  }
  if (!Array.isArray(v)) return v;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    out.push(maskSeenTime(v[i]));
    if (v[i] === 'seen-time') {
      out.push('*');
      i++;
    }
  }
  return out;
}


/**
 * Every stream of dbs 0 to `dbs - 1` as consumer groups see it: XINFO STREAM FULL
 * (COUNT 0: all entries, all pending entries), XINFO GROUPS, and XINFO CONSUMERS of
 * each group, keyed `db/key`. DEBUG DIGEST, in redis-server too, ignores consumer
 * groups: a lost XACK or XCLAIM shows only here. Clock fields are masked as `clock`
 * says: 'relative' masks what reads the clock at the query (idle, inactive,
 * seen-time); 'all' also masks delivery times, which two servers that ran the same
 * commands a few milliseconds apart read from their own clocks.
 */
export async function allStreams(c: RawClient, dbs: number, clock: 'relative' | 'all'): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < dbs; db++) {
    await run(c, [['SELECT', String(db)]]);
    for (const key of await streamKeys(c)) {
      const [full, groups] = await run(c, [
        ['XINFO', 'STREAM', key, 'FULL', 'COUNT', '0'],
        ['XINFO', 'GROUPS', key],
      ]);
      const names = (groups as Decoded[][]).map((g) => g[1] as string);
      const consumers = await run(c, names.map((g) => ['XINFO', 'CONSUMERS', key, g]));
      const state = { full, groups, consumers: Object.fromEntries(names.map((g, i) => [g, consumers[i]])) };
      out[`${db}/${key}`] = maskClock(state, clock);
    }
  }
  await run(c, [['SELECT', '0']]);
  return out;
}

async function streamKeys(c: RawClient): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [reply] = await run(c, [['SCAN', cursor, 'COUNT', '1000', 'TYPE', 'stream']]);
    const [next, batch] = reply as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

const ID = /^\d+-\d+$/;

/** Read from the clock at the query, or (radix-tree-nodes) redis-server's own estimate (harness/diff.ts). */
const MASKED_FIELDS = new Set(['idle', 'inactive', 'seen-time', 'radix-tree-nodes']);

/**
 * The XINFO values with their clock fields replaced by `*`: the values after `idle`,
 * `inactive`, `seen-time` (and radix-tree-nodes), and (clock 'all') the delivery time of a pending entry,
 * `[id, consumer, time, count]` in a group's PEL, `[id, time, count]` in a consumer's.
 */
function maskClock(v: unknown, clock: 'relative' | 'all'): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskClock(x, clock)]));
  }
  if (!Array.isArray(v)) return v;
  if (clock === 'all' && isPendingEntry(v)) return v.map((x, i) => (i === v.length - 2 ? '*' : x));
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    out.push(maskClock(v[i], clock));
    if (typeof v[i] === 'string' && MASKED_FIELDS.has(v[i] as string)) {
      out.push('*');
      i++;
    }
  }
  return out;
}

function isPendingEntry(v: unknown[]): boolean {
  const [id, ...rest] = v;
  if (typeof id !== 'string' || !ID.test(id)) return false;
  if (rest.length === 2) return typeof rest[0] === 'number' && typeof rest[1] === 'number';
  return rest.length === 3 && typeof rest[0] === 'string' && typeof rest[1] === 'number' && typeof rest[2] === 'number';
}
