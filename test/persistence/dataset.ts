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

/** Strings (with TTLs, binary, in several dbs), lists, and streams in every state. */
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

