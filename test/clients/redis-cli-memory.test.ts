/**
 * redis-cli's keyspace and monitoring tools against the broker and redis-server loaded
 * with the same dataset: `--memkeys` (MEMORY USAGE of every key), `--bigkeys`,
 * `--hotkeys` (OBJECT FREQ under allkeys-lfu) and `--stat` (INFO each interval). Their
 * summaries must have the same shape (the same lines once figures and the names of
 * keys tied on size are masked, in any order); --bigkeys and --hotkeys count elements
 * and accesses, which must be equal too; the memory totals of --memkeys must be within
 * MEMKEYS_FACTOR of redis-server's (README, "Memory accounting").
 */
import { spawn, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { suiteServers } from '../harness/diff.js';
import { componentPresent, hasRedisServer, NO_REDIS } from '../harness/servers.js';

const NO_CLI = 'redis-cli is not installed (apt-get install redis-tools): redis-cli memory tools suite skipped';
const HAS_CLI = componentPresent(spawnSync('redis-cli', ['--version']).status === 0, NO_CLI);
if (!HAS_CLI) console.warn(NO_CLI);
if (!hasRedisServer()) console.warn(NO_REDIS);

/**
 * The broker's per-type memory totals are V8's objects against redis-server's compact
 * encodings (a small hash or sorted set is one listpack there; a table and a Map, or a
 * skiplist, here): at most this many times larger, or smaller. Measured on this dataset:
 * strings x1.2, streams x0.8, sets x2, lists x4, hashes x10, sorted sets x27.
 */
const MEMKEYS_FACTOR = 32;

/** Runs redis-cli until it exits, or for `killAfterMs` (for --stat, which never ends); line-buffered. */
function cli(port: number, args: string[], killAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('stdbuf', ['-oL', 'redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString('latin1')));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    if (killAfterMs !== undefined) setTimeout(() => child.kill(), killAfterMs);
  });
}

/** The dataset: every type, with sizes that differ per key, and some accesses for --hotkeys. */
async function load(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  const commands: string[][] = [['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0']];
  for (let i = 0; i < 30; i++) {
    commands.push(['SET', `str:${i}`, 'x'.repeat(10 + i * 37)]);
    commands.push(['RPUSH', `list:${i}`, ...Array.from({ length: i + 1 }, (_, j) => `item-${j}`)]);
    commands.push(['HSET', `hash:${i}`, ...Array.from({ length: i + 1 }, (_, j) => [`f${j}`, `v${j}`]).flat()]);
    commands.push(['SADD', `set:${i}`, ...Array.from({ length: i + 1 }, (_, j) => `m${j}`)]);
    commands.push(['ZADD', `zset:${i}`, ...Array.from({ length: i + 1 }, (_, j) => [String(j), `m${j}`]).flat()]);
    for (let j = 0; j <= i; j++) commands.push(['XADD', `stream:${i}`, `1-${j + 1}`, 'field', `value-${j}`]);
  }
  // lfu-log-factor 0: each read adds one to a counter that starts at 5.
  for (let n = 0; n < 50; n++) commands.push(['GET', 'str:3']);
  for (let n = 0; n < 3; n++) commands.push(['LLEN', 'list:7']);
  c.write(Buffer.concat(commands.map((argv) => encodeCommand(argv))));
  const replies = await c.readMany(commands.length);
  expect(replies.filter((r) => r.raw[0] === '-'.charCodeAt(0))).toEqual([]);
  c.close();
}

/** The summary part of a --bigkeys/--memkeys/--hotkeys report. */
function summary(out: string): string[] {
  const start = out.indexOf('-------- summary -------');
  expect(start, out).toBeGreaterThanOrEqual(0);
  return out.slice(start).split('\n').filter((l) => l !== '');
}

/** A summary's lines with figures and key names masked, sorted (types are listed in the order found). */
function shape(lines: string[]): string[] {
  return lines.map((l) => l.replace(/'"[^"]*"'/g, 'KEY').replace(/"[^"]*"/g, 'KEY').replace(/\d+(\.\d+)?/g, 'N')).sort();
}

/** `N <type>s with N bytes` lines of --memkeys: bytes per type. */
function totals(lines: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\d+) (\w+)s with (\d+) bytes/.exec(l);
    if (m !== null && Number(m[1]) > 0) out.set(m[2], Number(m[3]));
  }
  return out;
}

describe.skipIf(!HAS_CLI || !hasRedisServer())('redis-cli memory tools, broker against redis-server', () => {
  const servers = suiteServers();
  beforeAll(async () => {
    await Promise.all([load(servers.ours.port), load(servers.ref.port)]);
  });

  it('--bigkeys: the same summary, element counts included', async () => {
    const [a, b] = await Promise.all([cli(servers.ours.port, ['--bigkeys']), cli(servers.ref.port, ['--bigkeys'])]);
    const mask = (lines: string[]): string[] => lines.map((l) => l.replace(/'"[^"]*"'/g, 'KEY').replace(/"[^"]*"/g, 'KEY')).sort();
    expect(mask(summary(a))).toEqual(mask(summary(b)));
  });

  it('--memkeys: the same shape, memory per type within the stated factor', async () => {
    const [a, b] = await Promise.all([cli(servers.ours.port, ['--memkeys']), cli(servers.ref.port, ['--memkeys'])]);
    expect(shape(summary(a))).toEqual(shape(summary(b)));
    const mine = totals(summary(a));
    const theirs = totals(summary(b));
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [type, bytes] of theirs) console.log(`--memkeys ${type}: broker ${mine.get(type)} bytes, redis-server ${bytes} (x${(mine.get(type)! / bytes).toFixed(2)})`);
    for (const [type, bytes] of theirs) {
      const ratio = mine.get(type)! / bytes;
      expect(ratio, type).toBeGreaterThan(1 / MEMKEYS_FACTOR);
      expect(ratio, type).toBeLessThan(MEMKEYS_FACTOR);
    }
  });

  it('--hotkeys under allkeys-lfu: the same keys and counters', async () => {
    const [a, b] = await Promise.all([cli(servers.ours.port, ['--hotkeys']), cli(servers.ref.port, ['--hotkeys'])]);
    const hot = (out: string): string[] => summary(out).filter((l) => l.startsWith('hot key found'));
    expect(hot(a).length).toBeGreaterThan(0);
    // Keys tied on their counter are listed in scan order: compare the counters, and the two keys that stand out.
    const counters = (lines: string[]): string[] => lines.map((l) => l.replace(/keyname: .*/, '')).sort();
    expect(counters(hot(a))).toEqual(counters(hot(b)));
    expect(hot(a).slice(0, 2)).toEqual(hot(b).slice(0, 2));
    // Fifty reads make str:3 the hottest (a stream's XADDs count as accesses too, as in redis-server).
    expect(hot(a)[0]).toMatch(/^hot key found with counter: 5\d\tkeyname: "str:3"$/);
  });

  it('--stat: the same header and rows', async () => {
    const [a, b] = await Promise.all([cli(servers.ours.port, ['--stat', '-i', '0.2'], 1500), cli(servers.ref.port, ['--stat', '-i', '0.2'], 1500)]);
    const rows = (out: string): string[] => out.split('\n').filter((l) => l !== '');
    const [headA, colsA, ...dataA] = rows(a);
    const [headB, colsB, ...dataB] = rows(b);
    expect(headA).toBe(headB);
    expect(colsA).toBe(colsB);
    expect(dataA.length).toBeGreaterThan(0);
    expect(dataB.length).toBeGreaterThan(0);
    // keys, mem (human), clients, blocked, requests (+delta), connections.
    const row = /^(\d+) +(\d+(\.\d+)?[BKMG]) +(\d+) +(\d+) +(\d+) \(\+\d+\) +(\d+) *$/;
    for (const line of [...dataA, ...dataB]) expect(line).toMatch(row);
    expect(row.exec(dataA[0])![1]).toBe(row.exec(dataB[0])![1]);
  });
});
