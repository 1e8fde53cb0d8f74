/**
 * The replication stream itself, against redis-server 7.0's: a raw follower asks each
 * leader `PSYNC ? -1`, skips the payload, and records the stream while the same command
 * sequence runs on both; the effects must match command by command once generated
 * values (stream IDs, absolute times) are normalized, except where ours go further on
 * purpose (engine/commands/stream-group.ts: XREADGROUP's XGROUP SETID ... ENTRIESREAD),
 * which is asserted as such. The broker's stream is the same with the AOF on (it then
 * copies the AOF's bytes). And `redis-cli --replica` against the broker shows the stream.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { testResources } from '../harness/resources.js';
import { hasRedisServer, NO_REDIS, spawnBroker, startRedis } from '../harness/servers.js';
import { infoField, StreamReader } from './topology.js';
import { until } from '../harness/wait.js';

const { servers, clients } = testResources();

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/** Commands whose effects are compared; replies are not (the differential suites do that). */
const SEQUENCE: string[][] = [
  ['SET', 'k', 'v', 'EX', '100'],
  ['SET', 'k2', 'v', 'PX', '100000'],
  ['EXPIRE', 'k', '200'],
  ['PEXPIRE', 'k2', '300000'],
  ['SETEX', 'k3', '100', 'v'],
  ['GETEX', 'k3', 'EX', '50'],
  ['INCRBYFLOAT', 'f', '1.5'],
  ['XADD', 's', '*', 'f', 'v'],
  ['XADD', 's', '*', 'f', 'w'],
  ['XADD', 's', 'MAXLEN', '~', '1000', '*', 'f', 'x'],
  ['XADD', 's', '5000000000000-*', 'f', 'y'],
  ['XGROUP', 'CREATE', 's', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'bob', 'NOACK', 'COUNT', '1', 'STREAMS', 's', '>'],
  ['XCLAIM', 's', 'g', 'bob', '0', '5000000000000-0'],
  ['XAUTOCLAIM', 's', 'g', 'carol', '0', '0-0', 'COUNT', '1'],
  ['XGROUP', 'SETID', 's', 'g', '$'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'dave'],
  ['XTRIM', 's', 'MAXLEN', '2'],
  ['XDEL', 's', '5000000000000-0'],
  ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
  ['BRPOPLPUSH', 'l', 'l2', '0'],
  ['BLPOP', 'l', '0'],
  ['BLMOVE', 'l', 'l2', 'LEFT', 'RIGHT', '0'],
  ['LPOP', 'missing'],
  ['PUBLISH', 'ch', 'hello'],
  ['MULTI'],
  ['SET', 'a', '1'],
  ['INCR', 'a'],
  ['EXEC'],
  ['SELECT', '1'],
  ['SET', 'x', 'y'],
  ['SELECT', '0'],
  ['DEL', 'x'],
  ['FLUSHDB'],
];

/**
 * Generated values made comparable: each generated stream ID becomes its rank of first
 * appearance (two XADDs in one millisecond on one server and two on the other differ
 * only there), absolute times become T.
 */
function normalize(effects: string[][]): string[] {
  const ids = new Map<string, string>();
  const id = (a: string): string => {
    if (!ids.has(a)) ids.set(a, `ID#${ids.size + 1}`);
    return ids.get(a)!;
  };
  return effects.map((argv) =>
    argv.map((a) => (/^\d{13}-\d+$/.test(a) && !a.startsWith('5000000000000-') ? id(a) : /^\d{13}$/.test(a) ? 'T' : a)).join(' '),
  );
}

/**
 * Requests in one pipeline, whose bytes the broker's stream copies where they are what
 * its encoder would write (replication.ts, appendAsRead), and encodes where they are not:
 * after an empty multibulk, inline, split across two reads, in another db, rewritten,
 * in a transaction, after a read between them.
 */
const PIPELINED: (string | string[])[] = [
  ['SET', 'a', '1'],
  ['SET', 'b', '2'],
  ['GET', 'a'],
  ['LPUSH', 'l', 'x', 'y'],
  '*0\r\n',
  ['SET', 'c', '3'],
  'SET d 4\r\n',
  ['SET', 'long', 'v'.repeat(150)],
  ['set', 'lower', 'case'],
  ['SELECT', '1'],
  ['SET', 'e', '5'],
  ['SELECT', '0'],
  ['SET', 'f', '6', 'EX', '100'],
  ['MULTI'],
  ['SET', 'g', '7'],
  ['EXEC'],
  ['INCR', 'counter'],
  ['SET', 'split', 'x'.repeat(40)],
];

/** Records the stream a leader on `port` sends for what `send` runs on a client of it. */
async function record(port: number, send: (c: RawClient) => Promise<void> = sendSequence): Promise<string[]> {
  const reader = await StreamReader.start(await connect(port));
  await until('the stream began', async () => reader.offset >= 0);
  const c = await connect(port);
  await send(c);
  await c.call('SET', 'end', 'marker');
  await reader.until('the marker arrived', (effects) => effects.some((e) => e[1] === 'end'));
  // Offsets as redis-server counts them: a fresh history starts at 0, each byte counts.
  expect(reader.offset).toBe(0);
  expect(await infoField(c, 'replication', 'master_repl_offset')).toBe(String(reader.processed));
  expect(await infoField(c, 'replication', 'repl_backlog_first_byte_offset')).toBe('1');
  return normalize(reader.effects);
}

async function sendSequence(c: RawClient): Promise<void> {
  for (const argv of SEQUENCE) await c.call(...argv);
}

/** PIPELINED in one write, but for the last request's second half, written once the first has been answered. */
async function sendPipelined(c: RawClient): Promise<void> {
  const bytes = Buffer.concat(PIPELINED.map((r) => (typeof r === 'string' ? Buffer.from(r, 'latin1') : encodeCommand(r))));
  const cut = bytes.length - 20;
  c.write(bytes.subarray(0, cut));
  // A reply for each request but the empty multibulk: all but the last's mean the first part was read.
  const replies = PIPELINED.filter((r) => r !== '*0\r\n').length;
  await c.readMany(replies - 1);
  c.write(bytes.subarray(cut));
  expect((await c.read()).raw.toString('latin1')).toBe('+OK\r\n');
}

describe.skipIf(!hasRedisServer())('the replication stream, command by command', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);

  it("matches redis-server's where our effects do not go further on purpose", async () => {
    const redis = await startRedis(['--repl-diskless-sync-delay', '0']);
    servers.push(redis);
    const broker = await spawnBroker(['--repl-diskless-sync-delay', '0']);
    servers.push(broker);
    const theirs = await record(redis.port);
    const ours = await record(broker.port);
    // Ours: every XREADGROUP that moves the group's last ID also says where, with the
    // read counter (redis-server 7.0 does so only for NOACK reads, and its followers
    // lose entries-read and lag).
    const setid = 'XGROUP SETID s g ID#2 ENTRIESREAD 2';
    expect(ours).toContain(setid);
    expect(theirs).not.toContain(setid);
    expect(ours.filter((e) => e !== setid)).toEqual(theirs);
  });

  it("matches redis-server's for pipelined requests, copied as read or encoded", async () => {
    const redis = await startRedis(['--repl-diskless-sync-delay', '0']);
    servers.push(redis);
    const broker = await spawnBroker(['--repl-diskless-sync-delay', '0']);
    servers.push(broker);
    const theirs = await record(redis.port, sendPipelined);
    expect(theirs).toContain(`SET long ${'v'.repeat(150)}`);
    expect(await record(broker.port, sendPipelined)).toEqual(theirs);
  });

  it('is the same with the AOF on, where the stream copies the AOF\'s bytes for each unit', async () => {
    const plain = await spawnBroker(['--repl-diskless-sync-delay', '0']);
    servers.push(plain);
    const withAof = await spawnBroker(['--repl-diskless-sync-delay', '0', '--appendonly', 'yes']);
    servers.push(withAof);
    expect(await record(withAof.port)).toEqual(await record(plain.port));
  });

  it('redis-cli --replica shows the stream', async () => {
    const broker = await spawnBroker(['--repl-diskless-sync-delay', '0']);
    servers.push(broker);
    const cli = spawn('redis-cli', ['-p', String(broker.port), '--replica'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (d) => (output += d));
    cli.stderr.on('data', (d) => (output += d));
    try {
      await until('the payload was received', async () => output.includes('SYNC done'));
      const c = await connect(broker.port);
      await c.call('SET', 'greeting', 'hello');
      await c.call('XADD', 'orders', '1-1', 'item', 'book');
      await until('the writes were shown', async () => output.includes('"XADD","orders","1-1","item","book"'));
      expect(output).toContain('"SET","greeting","hello"');
    } finally {
      cli.kill();
    }
  });
});
