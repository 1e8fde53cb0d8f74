/**
 * Seeded random command sequences for the RDB suites: strings (ints, short, long
 * enough for LZF, binary), lists, hashes, sets and sorted sets (small and large encodings), and
 * streams with consumer groups, pending entries, deleted entries, trims and XSETID,
 * with expiries. Replies are not checked: the
 * suites compare the datasets the commands leave.
 */
import { type RawClient } from '../harness/raw.js';
import { prng } from '../harness/prng.js';

/** `n` random commands over a few keys of each type. */
export function randomCommands(seed: number, n: number): string[][] {
  const rnd = prng(seed);
  const int = (k: number): number => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const value = (): string =>
    pick([
      () => String(int(1000) - 500),
      () => String(int(2 ** 31) * (rnd() < 0.5 ? -1 : 1)),
      () => '12345678901234567890'.slice(0, 1 + int(20)),
      () => 'v' + int(100),
      () => 'payload-'.repeat(1 + int(12)),
      () => String.fromCharCode(...Array.from({ length: int(30) }, () => int(256))),
      () => '',
    ])();
  const strKey = (): string => 'str:' + int(8);
  const listKey = (): string => 'list:' + int(4);
  const streamKey = (): string => 'stream:' + int(4);
  const hashKey = (): string => 'hash:' + int(4);
  const setKey = (): string => 'set:' + int(4);
  const member = (): string => (rnd() < 0.6 ? String(int(2000) - 1000) : value());
  const group = (): string => 'g' + int(3);
  const consumer = (): string => 'c' + int(4);
  const id = (): string => `${1 + int(400)}-${int(3)}`;
  const fields = (): string[] => {
    const out: string[] = [];
    const same = rnd() < 0.7;
    for (let f = 1 + int(3); f > 0; f--) out.push(same ? 'f' + f : 'f' + int(6), value());
    return out;
  };
  const commands: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = int(30);
    if (k === 0) commands.push(['SET', strKey(), value()]);
    else if (k === 1) commands.push(['APPEND', strKey(), value()]);
    else if (k === 2) commands.push(['INCRBY', 'str:n' + int(3), String(int(100000))]);
    else if (k === 3) commands.push([pick(['RPUSH', 'LPUSH']), listKey(), ...Array.from({ length: 1 + int(40) }, value)]);
    else if (k === 4) commands.push([pick(['LPOP', 'RPOP']), listKey(), String(1 + int(5))]);
    else if (k === 5) commands.push(['LREM', listKey(), String(int(3)), value()]);
    else if (k === 6) commands.push(['LINSERT', listKey(), 'BEFORE', value(), value()]);
    else if (k <= 10) commands.push(['XADD', streamKey(), ...(rnd() < 0.2 ? ['MAXLEN', '~', String(50 + int(100))] : []), '*', ...fields()]);
    else if (k === 11) commands.push(['XADD', streamKey(), id(), ...fields()]);
    else if (k === 12) commands.push(['XDEL', streamKey(), ...Array.from({ length: 1 + int(3) }, id)]);
    else if (k === 13) commands.push(['XTRIM', streamKey(), pick(['MAXLEN', 'MINID']), pick(['~', '=']), rnd() < 0.5 ? String(int(200)) : id()]);
    else if (k === 14) commands.push(['XGROUP', 'CREATE', streamKey(), group(), pick(['0', '$', id()]), 'MKSTREAM']);
    else if (k <= 16) commands.push(['XREADGROUP', 'GROUP', group(), consumer(), 'COUNT', String(1 + int(20)), 'STREAMS', streamKey(), '>']);
    else if (k === 17) commands.push(['XACK', streamKey(), group(), ...Array.from({ length: 1 + int(4) }, id)]);
    else if (k === 18) commands.push(['XCLAIM', streamKey(), group(), consumer(), '0', id(), id(), 'RETRYCOUNT', String(int(9))]);
    else if (k === 19) commands.push(['XGROUP', pick(['CREATECONSUMER', 'DELCONSUMER']), streamKey(), group(), consumer()]);
    else if (k === 20) commands.push(['XGROUP', 'SETID', streamKey(), group(), pick(['0', '$', id()]), 'ENTRIESREAD', String(int(50))]);
    else if (k === 21) commands.push(['PEXPIRE', pick([strKey(), listKey(), streamKey(), hashKey(), setKey()]), String(1_000_000 + int(1_000_000))]);
    else if (k === 22) commands.push(['DEL', pick([strKey(), listKey(), hashKey(), setKey()])]);
    else if (k === 23) commands.push(['XAUTOCLAIM', streamKey(), group(), consumer(), '0', '0-0', 'COUNT', String(1 + int(5))]);
    else if (k === 24) commands.push(['HSET', hashKey(), ...Array.from({ length: 1 + int(rnd() < 0.1 ? 300 : 8) }, () => ['h' + int(700), value()]).flat()]);
    else if (k === 25) commands.push(['HDEL', hashKey(), ...Array.from({ length: 1 + int(20) }, () => 'h' + int(700))]);
    else if (k === 26) commands.push(['HINCRBY', hashKey(), 'n' + int(3), String(int(1000))]);
    else if (k === 27) commands.push(['SADD', setKey(), ...Array.from({ length: 1 + int(rnd() < 0.1 ? 400 : 10) }, member)]);
    else if (k === 28) commands.push(rnd() < 0.5 ? ['SREM', setKey(), ...Array.from({ length: 1 + int(30) }, member)] : ['SPOP', setKey(), String(int(5))]);
    else commands.push([pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), setKey(), setKey(), setKey()]);
  }
  // Sorted sets from a generator of their own, so the other types' sequences stay as they were.
  return [...commands, ...randomZsetCommands(seed, Math.ceil(n / 10))];
}

/** `n` random sorted set commands (both encodings, -0, infinities, stores from sets too). */
function randomZsetCommands(seed: number, n: number): string[][] {
  const rnd = prng(seed + 0x25e7);
  const int = (k: number): number => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const key = (): string => 'zset:' + int(4);
  const member = (): string => pick([String(int(300)), 'm' + int(300), 'long-'.repeat(1 + int(20)), '\x00' + int(9)]);
  const score = (): string => pick(['inf', '-inf', '-0', String(int(100)), String(rnd() * 1000 - 500)]);
  const commands: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = int(5);
    if (k <= 1) commands.push(['ZADD', key(), ...Array.from({ length: 1 + int(rnd() < 0.1 ? 200 : 10) }, () => [score(), member()]).flat()]);
    else if (k === 2) commands.push(['ZREM', key(), ...Array.from({ length: 1 + int(30) }, member)]);
    else if (k === 3) commands.push([pick(['ZPOPMIN', 'ZPOPMAX']), key(), String(int(5))]);
    else commands.push([pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), key(), '2', key(), pick([key(), 'set:' + int(4)])]);
  }
  return commands;
}

/** Sends commands pipelined, in batches, ignoring error replies (random commands often fail). */
export async function runLoose(c: RawClient, commands: readonly (readonly string[])[]): Promise<void> {
  await c.pipeline(commands, 200);
}
