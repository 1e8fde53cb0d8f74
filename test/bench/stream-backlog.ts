#!/usr/bin/env node
/**
 * Reading old entries of a long stream, in server CPU per call: the broker against
 * redis-server, each a process of its own (`--save '' --appendonly no`), with the same
 * 1,000,000 entries `field value-<i>` (explicit IDs, one millisecond apart). The
 * broker's full nodes are then sealed (they keep their RDB bytes alone, decoded on
 * demand: engine/types/decoded-nodes.ts), as the idle work leaves them. One client, one
 * call in flight; the figure is the server's /proc utime+stime over the calls.
 *
 *   - backlog: a new group reads through the stream from a place no read touched,
 *     `XREADGROUP GROUP g c COUNT <n> STREAMS s >`, as a queue's worker catching up;
 *   - xread: `XREAD COUNT <n> STREAMS s <last ID read>`, the same walk without a group;
 *   - xrange: `XRANGE s <random ID> + COUNT <n>`;
 *   - and PING, what any call costs.
 *
 * Each round runs every walk on each server, which server goes first rotating; each
 * round starts its walks at a part of the stream none before it read; its group's
 * entries stay pending while it reads (a worker that has not acknowledged yet), and the
 * group is destroyed after the walk, so that one round's pending entries do not weigh
 * on the next (the broker's garbage collector marks them all). The replies of all servers are
 * compared, byte for byte, on the first calls of each walk. The machine's other load
 * moves these figures by 10% or more: compare servers within a round.
 *
 *   npm run build && node dist/test/bench/stream-backlog.js [rounds] [calls] [--count N] [--broker main.js]...
 *
 * With `--broker` given more than once, each build runs beside the others (A/B).
 */
import { BROKER_BIN } from '../harness/servers.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { cpuSeconds, startProcess, type Server } from './tools.js';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--count' && all[i - 1] !== '--broker');
const countAt = process.argv.indexOf('--count');
const ROUNDS = Number(positional[0] ?? 3);
const CALLS = Number(positional[1] ?? 10_000);
const COUNT = countAt >= 0 ? Number(process.argv[countAt + 1]) : 10;
const ENTRIES = 1_000_000;
const BASE_MS = 1_700_000_000_000;
const BATCH = 10_000;
/** Replies compared between the servers at the start of each walk. */
const COMPARED = 50;

const ARGS = ['--bind', '127.0.0.1', '--loglevel', 'warning', '--save', '', '--appendonly', 'no'];

const id = (i: number): string => `${BASE_MS + i}-0`;

async function fill(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  for (let sent = 0; sent < ENTRIES; sent += BATCH) {
    const n = Math.min(BATCH, ENTRIES - sent);
    await client.send(Buffer.concat(Array.from({ length: n }, (_, k) => encodeCommand(['XADD', 's', id(sent + k), 'field', `value-${sent + k}`]))));
    const replies = await client.readMany(n);
    if (replies.some((r) => r.raw[0] === 45)) throw new Error(`XADD failed: ${replies.find((r) => r.raw[0] === 45)!.raw.toString()}`);
  }
  client.close();
}

/** Waits until the broker's idle work sealed its full nodes: the key's memory stops falling. */
async function settle(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  let last = -1;
  for (let same = 0; same < 3; ) {
    await new Promise((r) => setTimeout(r, 300));
    const now = (await client.call('MEMORY', 'USAGE', 's')).value as number;
    same = now === last ? same + 1 : 0;
    last = now;
  }
  client.close();
}

interface Walk {
  name: string;
  /** The next call's arguments, given the previous reply's raw bytes (null before the first). */
  next(previous: Buffer | null): string[];
  /** Run once the calls are measured. */
  after?: string[];
}

/** The last entry ID in a reply's raw bytes (`$<len>\r\n<ms>-<seq>\r\n` of the last entry). */
function lastIdIn(raw: Buffer): string {
  const text = raw.toString('latin1');
  const m = text.match(/\$\d+\r\n(\d+-\d+)\r\n(?![\s\S]*\$\d+\r\n\d+-\d+\r\n)/);
  if (m === null) throw new Error(`no ID in ${text.slice(0, 200)}`);
  return m[1];
}

function walks(round: number): Walk[] {
  // Each round's walks start in a part of the stream of its own (the broker's cache holds about 2,400 nodes).
  const part = Math.floor(ENTRIES / (ROUNDS + 1));
  const from = round * part;
  // xorshift32: the same draws on both servers.
  let seed = 12345 + round;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  return [
    // The cost of a call itself (reading, dispatching, replying), for scale.
    { name: 'PING', next: () => ['PING'] },
    {
      name: `XREADGROUP COUNT ${COUNT} >`,
      next: (prev) => (prev === null ? ['XGROUP', 'CREATE', 's', `g${round}`, id(from)] : ['XREADGROUP', 'GROUP', `g${round}`, 'c', 'COUNT', String(COUNT), 'STREAMS', 's', '>']),
      after: ['XGROUP', 'DESTROY', 's', `g${round}`],
    },
    {
      name: `XREAD COUNT ${COUNT}`,
      next: (prev) => ['XREAD', 'COUNT', String(COUNT), 'STREAMS', 's', prev === null ? id(from + part / 2) : lastIdIn(prev)],
    },
    {
      name: `XRANGE <random> + COUNT ${COUNT}`,
      next: () => ['XRANGE', 's', id(Math.floor(random() * (ENTRIES - COUNT))), '+', 'COUNT', String(COUNT)],
    },
  ];
}

/** Runs `calls` calls of the walk; returns server CPU µs per call and the first replies. */
async function runWalk(server: Server, walk: Walk, calls: number): Promise<{ us: number; replies: Buffer[] }> {
  const client = await RawClient.connect(server.port);
  const replies: Buffer[] = [];
  let prev: Buffer | null = null;
  // The XGROUP CREATE (or a first call) outside the measure.
  prev = (await client.call(...walk.next(null))).raw;
  const before = cpuSeconds(server.pid);
  for (let i = 0; i < calls; i++) {
    const reply: Buffer = (await client.call(...walk.next(prev))).raw;
    if (reply[0] === 45) throw new Error(`${walk.name}: ${reply.toString()}`);
    if (i < COMPARED) replies.push(reply);
    prev = reply;
  }
  const us = ((cpuSeconds(server.pid) - before) / calls) * 1e6;
  if (walk.after !== undefined) await client.call(...walk.after);
  client.close();
  return { us, replies };
}

/** Servers by name: redis-server, then the broker (or each `--broker <main.js>` given, for A/B runs of builds). */
async function startServers(): Promise<Map<string, Server>> {
  const builds = process.argv.flatMap((a, i, all) => (all[i - 1] === '--broker' ? [a] : []));
  const servers = new Map<string, Server>([['redis-server', await startProcess('redis-server', (port) => ['--port', port, ...ARGS])]]);
  for (const main of builds.length > 0 ? builds : [BROKER_BIN]) {
    const name = builds.length > 1 ? `broker ${main}` : 'broker';
    servers.set(name, await startProcess(process.execPath, (port) => [main, '--port', port, '--http-port', '0', ...ARGS]));
  }
  return servers;
}

async function main(): Promise<void> {
  const servers = await startServers();
  const targets = [...servers.keys()];
  const brokers = targets.slice(1);
  try {
    await Promise.all([...servers.values()].map((s) => fill(s.port)));
    for (const b of brokers) await settle(servers.get(b)!.port);
    // Warm-up: V8 compiles the broker's read paths (on a part of the stream the rounds do not read).
    for (const b of brokers) for (const walk of walks(ROUNDS)) await runWalk(servers.get(b)!, walk, CALLS / 4);
    const names = walks(0).map((w) => w.name);
    const figures = new Map<string, Map<string, number[]>>(names.map((n) => [n, new Map(targets.map((t) => [t, []]))]));
    for (let round = 0; round < ROUNDS; round++) {
      // Which server goes first rotates from round to round.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      const replies = new Map<string, Buffer[]>();
      for (const target of order) {
        for (const walk of walks(round)) {
          const r = await runWalk(servers.get(target)!, walk, CALLS);
          figures.get(walk.name)!.get(target)!.push(r.us);
          // The random walk draws the same IDs on every server (one seed per round).
          const first = replies.get(walk.name);
          if (first === undefined) replies.set(walk.name, r.replies);
          else if (!first.every((reply, i) => reply.equals(r.replies[i]))) throw new Error(`${walk.name}: the replies of ${target} differ`);
        }
      }
      console.log(`round ${round + 1}: ` + names.map((n) => `${n}: ` + targets.map((t) => `${t} ${figures.get(n)!.get(t)![round].toFixed(1)}`).join(', ')).join('; '));
    }
    for (const n of names) {
      const redis = figures.get(n)!.get('redis-server')!;
      console.log(`${n} (µs per call, rounds)`);
      for (const t of targets) {
        const f = figures.get(n)!.get(t)!;
        const ratios = t === 'redis-server' ? '' : ` (ratios ${f.map((x, i) => (x / redis[i]).toFixed(2)).join(' / ')})`;
        console.log(`  ${t.padEnd(24)} ${f.map((x) => x.toFixed(1)).join(' / ')}${ratios}`);
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

await main();
