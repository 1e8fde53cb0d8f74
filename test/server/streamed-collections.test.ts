/**
 * Streamed replies of hashes, sets and sorted sets (engine/streamed-reply.ts): HGETALL,
 * HKEYS, HVALS, SMEMBERS and ZRANGE over hundreds of thousands of members are written in
 * pieces as the client reads them, and show the value at the command's instant while
 * another client changes it and is answered; a snapshot that freezes the same table
 * meanwhile and finishes first leaves the reply its view; INFO counts the replies in
 * progress and none is left at the end.
 */
import { describe, expect, it } from 'vitest';
import { connectedSocket, encodeCommand } from '../harness/raw.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { noneStreamed, streamedReplies } from '../harness/streamed.js';

const N = 200_000;
const PAD = 'x'.repeat(40);
const ids = Array.from({ length: N }, (_, i) => i);
const field = (i: number): string => `field:${i}`;
const value = (i: number): string => `value:${i}${PAD}`;
const member = (i: number): string => `member:${i}${PAD}`;

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;
const array = (items: readonly string[]): Buffer => Buffer.from(`*${items.length}\r\n` + items.map(bulk).join(''), 'latin1');

/**
 * Sends `argv` (or several commands, pipelined) on a new connection and reads replies
 * until `bytes` of them or until `done` says they are complete; `meanwhile` runs once
 * the first bytes arrived, while this connection reads nothing (the reply backs up).
 */
async function readReply(port: number, argv: string[] | string[][], until: number | ((got: Buffer) => boolean), meanwhile: () => Promise<void>): Promise<Buffer> {
  const socket = await connectedSocket(port);
  const chunks: Buffer[] = [];
  let size = 0;
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    wake?.();
  });
  const commands = typeof argv[0] === 'string' ? [argv as string[]] : (argv as string[][]);
  socket.write(Buffer.concat(commands.map((command) => encodeCommand(command))));
  while (size === 0) await new Promise<void>((r) => (wake = r));
  socket.pause();
  await meanwhile();
  socket.resume();
  const done = typeof until === 'number' ? () => size >= until : () => until(Buffer.concat(chunks));
  while (!done()) await new Promise<void>((r) => (wake = r));
  socket.destroy();
  return Buffer.concat(chunks);
}

/** `n` items in commands of 100: `command(items)` for each run. */
function inHundreds<T>(items: readonly T[], command: (run: readonly T[]) => string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += 100) out.push(command(items.slice(i, i + 100)));
  return out;
}

describe('streamed replies of hashes, sets and sorted sets', () => {
  const server = suiteBroker([], { timeout: 120_000 });
  const c = suiteClient(server);

  /** Reads `argv`'s reply while `changes` run, and expects `want` (the value before them). */
  async function expectWhileChanged(argv: string[], want: Buffer, changes: string[][]): Promise<void> {
    const got = await readReply(server.port, argv, want.length, async () => {
      expect(await streamedReplies(c)).toBe(1);
      for (const change of changes) await c.call(...change);
      expect((await c.call('PING')).raw.toString()).toBe('+PONG\r\n');
    });
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
    await noneStreamed(c, 25);
  }

  it('HGETALL, HKEYS and HVALS show the hash as it was', { timeout: 120_000 }, async () => {
    // Only added to: a hashtable's positions are the insertion order.
    const wants: [string, Buffer][] = [
      ['HGETALL', array(ids.flatMap((i) => [field(i), value(i)]))],
      ['HKEYS', array(ids.map(field))],
      ['HVALS', array(ids.map(value))],
    ];
    for (const [command, want] of wants) {
      await c.call('DEL', 'h');
      await c.pipeline(inHundreds(ids, (run) => ['HSET', 'h', ...run.flatMap((i) => [field(i), value(i)])]), 1000);
      await expectWhileChanged([command, 'h'], want, [
        ['HSET', 'h', field(7), 'changed', 'new', 'field'],
        ['HDEL', 'h', field(100), field(150_000)],
      ]);
    }
    await c.call('DEL', 'h');
  });

  it('SMEMBERS shows the set as it was, also when a snapshot froze it too and finished first', { timeout: 120_000 }, async () => {
    const want = array(ids.map(member));
    const fresh = async (): Promise<void> => {
      await c.call('DEL', 's');
      await c.pipeline(inHundreds(ids, (run) => ['SADD', 's', ...run.map(member)]), 1000);
    };
    await fresh();
    await expectWhileChanged(['SMEMBERS', 's'], want, [
      ['SREM', 's', member(5)],
      ['SADD', 's', 'new'],
      ['SPOP', 's', '1000'],
    ]);
    await fresh();
    await expectWhileChanged(['SMEMBERS', 's'], want, [
      ['BGSAVE'],
      ['SREM', 's', member(10)],
    ]);
    for (let tries = 0; tries < 400; tries++) {
      if (/rdb_bgsave_in_progress:0/.test((await c.call('INFO', 'persistence')).value as string)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    // After the snapshot thawed the table, a reply that froze it later still holds its chunks.
    await fresh();
    await expectWhileChanged(['SMEMBERS', 's'], want, [['BGSAVE'], ['SPOP', 's', '5000']]);
    await c.call('DEL', 's');
  });

  it('ZRANGE shows the sorted set as it was, with scores in RESP2', { timeout: 120_000 }, async () => {
    const score = (i: number): string => String(i * 1.5);
    const fresh = async (): Promise<void> => {
      await c.call('DEL', 'z');
      await c.pipeline(inHundreds(ids, (run) => ['ZADD', 'z', ...run.flatMap((i) => [score(i), member(i)])]), 1000);
    };
    const changes = [
      ['ZADD', 'z', '-1', 'first', '1e9', 'last'],
      ['ZREM', 'z', member(5)],
      ['ZPOPMIN', 'z', '100'],
    ];
    await fresh();
    await expectWhileChanged(['ZRANGE', 'z', '0', '-1'], array(ids.map(member)), changes);
    await fresh();
    const reversed = ids.slice(10, -10).reverse();
    await expectWhileChanged(['ZRANGE', 'z', '10', '-11', 'REV', 'WITHSCORES'], array(reversed.flatMap((i) => [member(i), score(i)])), changes);
    await fresh();
    // By score and by lex: the run the bounds select (20 to 199,979, the first 5 skipped).
    const run = ids.slice(25, -20);
    await expectWhileChanged(['ZRANGE', 'z', '(28.5', '299968.5', 'BYSCORE', 'LIMIT', '5', '-1', 'WITHSCORES'], array(run.flatMap((i) => [member(i), score(i)])), changes);
    await c.call('DEL', 'z');
    await c.pipeline(inHundreds(ids, (r) => ['ZADD', 'z', ...r.flatMap((i) => ['0', member(i)])]), 1000);
    const lex = ids.map(member).sort().reverse();
    await expectWhileChanged(['ZRANGE', 'z', '+', '-', 'BYLEX', 'REV'], array(lex), [['ZADD', 'z', '0', 'first'], ['ZREM', 'z', member(5)]]);
    await c.call('DEL', 'z');
  });

  it('ZRANGE WITHSCORES in RESP3 streams its pairs, in RESP3 to the end when a HELLO 2 follows it', { timeout: 120_000 }, async () => {
    await c.call('DEL', 'z');
    await c.pipeline(inHundreds(ids, (run) => ['ZADD', 'z', ...run.flatMap((i) => [String(i / 4), member(i)])]), 1000);
    const want = Buffer.from(`*${N}\r\n` + ids.map((i) => `*2\r\n${bulk(member(i))},${i / 4}\r\n`).join(''), 'latin1');
    const pong = Buffer.from('+PONG\r\n');
    const commands = [['HELLO', '3'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['HELLO', '2'], ['PING']];
    const got = await readReply(server.port, commands, (buf) => buf.subarray(-pong.length).equals(pong), async () => {
      expect(await streamedReplies(c)).toBe(1);
      await c.call('ZADD', 'z', '-1', 'first');
    });
    const at = got.indexOf(want);
    expect(at).toBeGreaterThan(0);
    // HELLO 2's reply, in RESP2, then PING's.
    expect(got[at + want.length]).toBe('*'.charCodeAt(0));
    await c.call('DEL', 'z');
  });
});
