/**
 * Benchmark: what each follower costs its leader (issue 13: "each follower costs the
 * leader at most 10% of its throughput"), SET, LPUSH and XADD from redis-benchmark with
 * 50 clients, at -P 16 and without pipelining (redis-benchmark's default, a fifth of the
 * writes), both leaders in the same run. Pipelined, a write costs the leader least, so
 * a follower's share (its stream's encoding and writes, the same per write either way)
 * is largest there; without pipelining each write pays its own read and reply. On one
 * machine the stand-in for a follower on another host is the leader's own cost,
 * reported three ways:
 *
 * (a) the leader's CPU time per write (tools.ts cpuSeconds) with 0, 1 and 2 followers,
 *     and its increase per follower: the primary figure. Throughput on this shared
 *     machine says more about the neighbours than about the leader; its CPU time per
 *     write does not.
 * (b) throughput with the leader alone on core 0 and redis-benchmark and the followers on
 *     the others (taskset, while a run lasts), when taskset exists and there are at least
 *     two cores: the follower's applying and the client no longer take the leader's CPU.
 * (c) throughput with every process on every core, as npm run bench's other figures.
 *
 * The followers are stream readers in this process (`streamReader`: the handshake, the
 * payload, then the stream read and acknowledged, nothing applied), the same for both
 * leaders: a follower process on the same cores would be measured too (the
 * `followers-N` scenarios of run.ts show that, with redis-server followers). Every
 * leader (each target with 0, 1 and 2 followers) runs from the start, side by side, and
 * the runs rotate over all of them, write by write and round by round: measured one
 * follower count after the other, the counts saw different machine loads (on the shared
 * machine that moved the figures more than the followers did). Then the follower's side:
 * a real follower of each kind, its CPU per write applied.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { PayloadReceiver } from '../../broker/replication/payload.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { benchmarkRun, cpuSeconds, type Server } from './tools.js';

interface CostTarget {
  name: string;
  start(args: readonly string[]): Promise<Server>;
}

interface ProgressLine {
  start(label: string): void;
  end(summary: string): void;
}

const FOLLOWERS = [0, 1, 2] as const;
const WRITES: { name: string; spec: string[] }[] = [
  { name: 'SET', spec: ['-t', 'set'] },
  { name: 'LPUSH', spec: ['-t', 'lpush'] },
  { name: 'XADD', spec: ['XADD', 'bench:stream', 'MAXLEN', '~', '100000', '*', 'field', 'value'] },
];
const REQUESTS = 500_000;
const CLIENTS = 50;
/** Pipeline depths measured, and the share of REQUESTS each runs (unpipelined writes are slower). */
const PIPELINES = [
  { depth: 16, share: 1 },
  { depth: 1, share: 0.2 },
] as const;
/** Rounds per figure; the lowest CPU time and the highest throughput count (noise from other processes only adds, or takes). */
const ROUNDS = 2;
const LEADER_ARGS = ['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];

/** Requests of the warm-up runs, as a share of a measured run's. */
const WARM_UP_SHARE = 0.2;

/** Progress steps: the warm-up, one per round and pipeline depth of the leaders' runs, and the followers' apply cost. */
export const COST_STEPS = ROUNDS * PIPELINES.length + 2;

/** A leader's figures at one pipeline depth, per write: lowest µs of CPU, highest rps unpinned and pinned (0 until measured). */
interface Figures {
  cpu: number[];
  rps: number[];
  pinnedRps: number[];
}

/** One leader: a target with a number of followers. */
interface Leader {
  target: number;
  followers: number;
  server: Server;
  /** By PIPELINES' index. */
  figures: Figures[];
}

export async function replicationCost(targets: readonly CostTarget[], scale: number, progress: ProgressLine): Promise<string[]> {
  const n = Math.max(10_000, Math.round(REQUESTS * scale));
  const pin = cpuPinning();
  const specs = targets.flatMap((_, target) => FOLLOWERS.map((followers) => ({ target, followers })));
  const servers = await Promise.all(specs.map((s) => targets[s.target].start(LEADER_ARGS)));
  const figures = (): Figures => ({ cpu: WRITES.map(() => Infinity), rps: WRITES.map(() => 0), pinnedRps: WRITES.map(() => 0) });
  const leaders: Leader[] = specs.map((s, i) => ({ ...s, server: servers[i], figures: PIPELINES.map(figures) }));
  const attached = (await Promise.all(leaders.map((l) => attachFollowers(l.server.port, l.followers, streamReader)))).flat();
  try {
    // Unrecorded, as run.ts's round 0: V8 compiles the broker's hot paths on its first
    // requests (in the process's CPU time), and XADD's stream first grows to its MAXLEN.
    progress.start('leaders with 0-2 followers, warm-up');
    for (const l of leaders) for (const w of WRITES) await benchmarkRun(l.server.port, CLIENTS, Math.round(n * WARM_UP_SHARE), PIPELINES[0].depth, w.spec);
    progress.end('');
    let turn = 0;
    for (const [p, { depth, share }] of PIPELINES.entries()) {
      const writes = Math.max(10_000, Math.round(n * share));
      for (let round = 0; round < ROUNDS; round++) {
        progress.start(`leaders with 0-2 followers, -P ${depth}, round ${round + 1} of ${ROUNDS}`);
        for (let w = 0; w < WRITES.length; w++) {
          for (const l of rotated(leaders, turn++)) {
            const f = l.figures[p];
            const before = cpuSeconds(l.server.pid);
            const unpinned = await benchmarkRun(l.server.port, CLIENTS, writes, depth, WRITES[w].spec);
            f.cpu[w] = Math.min(f.cpu[w], ((cpuSeconds(l.server.pid) - before) * 1e6) / writes);
            f.rps[w] = Math.max(f.rps[w], unpinned[0].rps);
            if (pin === null) continue;
            const pinned = await pin(l.server.pid, () => benchmarkRun(l.server.port, CLIENTS, writes, depth, WRITES[w].spec));
            f.pinnedRps[w] = Math.max(f.pinnedRps[w], pinned[0].rps);
          }
        }
        progress.end(costSummary(targets, leaders, p));
      }
    }
  } finally {
    await Promise.all([...attached, ...servers].map((s) => s.stop()));
  }
  return [...PIPELINES.flatMap(({ depth, share }, p) => costReport(targets, leaders, p, depth, Math.max(10_000, Math.round(n * share)), pin !== null)), ...(await applyCost(targets, n, progress))];
}

/** The leaders' figures at PIPELINES[p]. */
function costReport(targets: readonly CostTarget[], leaders: readonly Leader[], p: number, depth: number, writes: number, pinned: boolean): string[] {
  const at = (l: Leader): Figures => l.figures[p];
  return [
    '',
    `Follower cost (${writes.toLocaleString('en-US')} writes, ${CLIENTS} clients, -P ${depth}, lowest CPU and highest rps of ${ROUNDS} rounds; followers that read the stream and apply nothing; every leader up at once, the runs interleaved):`,
    '  (a) leader CPU µs per write with 0 / 1 / 2 followers (increase per follower):',
    ...costRows(targets, leaders, (l) => at(l).cpu, (v) => v.toFixed(2), (c, f) => signedPercent((c[f] / c[0] - 1) / f)),
    ...(!pinned
      ? ['  (b) throughput with the leader pinned: not measured (needs taskset and two cores)']
      : [
          '  (b) throughput, the leader alone on core 0, redis-benchmark and the followers on the other cores (taskset): rps with 0 / 1 / 2 followers (ratio to 0):',
          ...costRows(targets, leaders, (l) => at(l).pinnedRps, fmtRps, (r, f) => (r[f] / r[0]).toFixed(2)),
        ]),
    '  (c) throughput, every process on every core: rps with 0 / 1 / 2 followers (ratio to 0):',
    ...costRows(targets, leaders, (l) => at(l).rps, fmtRps, (r, f) => (r[f] / r[0]).toFixed(2)),
  ];
}

const fmtRps = (rps: number): string => Math.round(rps).toLocaleString('en-US');

function signedPercent(x: number): string {
  const p = Math.round(100 * x);
  return `${p < 0 ? '' : '+'}${p}%`;
}

/** The leaders in the order of run `turn`: each goes first in turn, and the direction alternates. */
function rotated<T>(xs: readonly T[], turn: number): T[] {
  const k = turn % xs.length;
  const order = [...xs.slice(k), ...xs.slice(0, k)];
  return turn % 2 === 0 ? order : order.reverse();
}

/**
 * Rows per write and target: `figure` of 0, 1 and 2 followers, and `relative(values,
 * followers)` for 1 and 2; then, for the last target, its figures over the first's.
 */
function costRows(
  targets: readonly CostTarget[],
  leaders: readonly Leader[],
  figure: (l: Leader) => number[],
  format: (v: number) => string,
  relative: (values: number[], followers: number) => string,
): string[] {
  const rows: string[] = [];
  const ratioLabel = `${targets[targets.length - 1].name}/${targets[0].name}`;
  const width = Math.max(...targets.map((t) => t.name.length), targets.length < 2 ? 0 : ratioLabel.length);
  for (let w = 0; w < WRITES.length; w++) {
    const values = targets.map((_, t) => FOLLOWERS.map((f) => figure(leaders.find((l) => l.target === t && l.followers === f)!)[w]));
    targets.forEach((t, i) => {
      const v = values[i];
      const rel = FOLLOWERS.slice(1).map((f) => relative(v, f)).join(' / ');
      rows.push(`    ${(i === 0 ? WRITES[w].name : '').padEnd(6)} ${t.name.padEnd(width)}  ${v.map(format).join(' / ')}  (${rel})`);
    });
    if (targets.length < 2) continue;
    const [ref, ours] = [values[0], values[targets.length - 1]];
    rows.push(`    ${''.padEnd(6)} ${ratioLabel.padEnd(width)}  ${FOLLOWERS.map((f) => (ours[f] / ref[f]).toFixed(2)).join(' / ')}`);
  }
  return rows;
}

function costSummary(targets: readonly CostTarget[], leaders: readonly Leader[], p: number): string {
  return targets
    .map((t, i) => `${t.name}: ${WRITES.map((w, j) => `${w.name} ${FOLLOWERS.map((f) => leaders.find((l) => l.target === i && l.followers === f)!.figures[p].cpu[j].toFixed(2)).join('/')}`).join(' ')} µs`)
    .join('; ');
}

/**
 * With taskset and at least two cores, a function that runs `work` with the process
 * `pid` (all its threads) alone on core 0 and this process (its stream readers, and the
 * redis-benchmark it starts meanwhile) on the other cores, then gives both their
 * affinity back; otherwise null.
 */
function cpuPinning(): (<T>(pid: number, work: () => Promise<T>) => Promise<T>) | null {
  const cores = os.availableParallelism();
  if (cores < 2 || spawnSync('taskset', ['-V']).status !== 0) return null;
  const taskset = (args: string[]): string => {
    const r = spawnSync('taskset', args, { encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`taskset ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // "pid 123's current affinity list: 0,1"
  const affinity = (pid: number): string => taskset(['-c', '-p', String(pid)]).trim().split(': ')[1];
  const set = (pid: number, list: string): void => void taskset(['-a', '-p', '-c', list, String(pid)]);
  return async (pid, work) => {
    const [leader, own] = [affinity(pid), affinity(process.pid)];
    set(pid, '0');
    set(process.pid, `1-${cores - 1}`);
    try {
      return await work();
    } finally {
      set(process.pid, own);
      set(pid, leader);
    }
  };
}

/**
 * The follower's side: CPU time of a real follower (of the leader's kind) per write it
 * applies, counted once it has caught up with the leader's offset, the same writes as
 * above, the leaders and followers of both kinds side by side.
 */
async function applyCost(targets: readonly CostTarget[], n: number, progress: ProgressLine): Promise<string[]> {
  const cost = targets.map(() => WRITES.map(() => Infinity));
  const leaders = await Promise.all(targets.map((t) => t.start(LEADER_ARGS)));
  const followers = await Promise.all(
    targets.map(async (t, i) => (await attachFollowers(leaders[i].port, 1, (port) => t.start([...LEADER_ARGS, '--replicaof', '127.0.0.1', String(port)])))[0]),
  );
  try {
    progress.start('follower CPU per applied write');
    await interleaved(targets.length, async (i, w) => {
      const before = cpuSeconds(followers[i].pid);
      await benchmarkRun(leaders[i].port, CLIENTS, n, PIPELINES[0].depth, WRITES[w].spec);
      await caughtUp(leaders[i].port, followers[i].port);
      cost[i][w] = Math.min(cost[i][w], ((cpuSeconds(followers[i].pid) - before) * 1e6) / n);
    });
    progress.end(targets.map((t, i) => `${t.name}: ${WRITES.map((w, j) => `${w.name} ${cost[i][j].toFixed(2)}`).join(' ')} µs`).join('; '));
  } finally {
    await Promise.all([...followers, ...leaders].map((s) => s.stop()));
  }
  return [
    '',
    `Follower CPU per write applied (the same writes, one follower of the leader's kind, counted until its offset reaches the leader's):`,
    ...targets.map((t, i) => `  ${t.name.padEnd(12)} ${WRITES.map((w, j) => `${w.name} ${cost[i][j].toFixed(2)}`).join(', ')} µs`),
  ];
}

/**
 * Runs `measure(target, write)` for every target and write, ROUNDS times, the target that
 * goes first alternating from one write and round to the next (so that neither is always
 * measured on a machine the other just warmed or loaded).
 */
async function interleaved(targets: number, measure: (target: number, write: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    for (let w = 0; w < WRITES.length; w++) {
      for (let k = 0; k < targets; k++) await measure((round + w) % 2 === 0 ? k : targets - 1 - k, w);
    }
  }
}

/** Waits until the follower on `followerPort` has applied the leader's whole stream. */
async function caughtUp(leaderPort: number, followerPort: number): Promise<void> {
  const [leader, follower] = await Promise.all([RawClient.connect(leaderPort), RawClient.connect(followerPort)]);
  try {
    const offset = async (c: RawClient, field: string): Promise<number> => {
      const text = (await c.call('INFO', 'replication')).raw.toString('latin1');
      return Number(new RegExp(`${field}:(\\d+)`).exec(text)?.[1] ?? NaN);
    };
    const target = await offset(leader, 'master_repl_offset');
    for (let i = 0; i < 3000; i++) {
      if ((await offset(follower, 'slave_repl_offset')) >= target) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`the follower on port ${followerPort} did not catch up`);
  } finally {
    leader.close();
    follower.close();
  }
}

/** What attachFollowers starts and later stops. */
type Follower = Pick<Server, 'stop'>;

/** Starts `count` followers of the leader on `port` and waits until all are online. */
export async function attachFollowers<F extends Follower>(port: number, count: number, startFollower: (leaderPort: number) => Promise<F>): Promise<F[]> {
  if (count === 0) return [];
  const followers = await Promise.all(Array.from({ length: count }, () => startFollower(port)));
  const leader = await RawClient.connect(port);
  try {
    for (let i = 0; i < 600; i++) {
      const text = (await leader.call('INFO', 'replication')).raw.toString('latin1');
      if ((text.match(/state=online/g)?.length ?? 0) === count) return followers;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${count} followers of port ${port} did not come online`);
  } finally {
    leader.close();
  }
}

/** A follower's handshake before its PSYNC. */
const HANDSHAKE = [['PING'], ['REPLCONF', 'listening-port', '0'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']];

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) n++;
  return n;
}

/**
 * A follower that reads the stream and applies nothing, as cheap as a follower can be:
 * redis-server's handshake with `PSYNC ? -1`, the payload read and dropped, then the
 * stream read, with `REPLCONF ACK <offset>` once loaded (the leader starts the stream on
 * it) and every second.
 */
async function streamReader(port: number): Promise<Follower> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const payload = new PayloadReceiver({ write: () => undefined });
  let phase: 'handshake' | 'payload' | 'stream' = 'handshake';
  let head = Buffer.alloc(0);
  let offset = 0;
  let timer: NodeJS.Timeout | null = null;
  let psyncSent = false;
  const ack = (): void => void socket.write(encodeCommand(['REPLCONF', 'ACK', String(offset)]));
  socket.on('data', (chunk: Buffer) => {
    if (phase === 'stream') {
      offset += chunk.length;
      return;
    }
    if (phase === 'handshake') {
      head = Buffer.concat([head, chunk]);
      // redis-server refuses a PSYNC sent before the replies to what precedes it are read.
      if (!psyncSent && countLines(head) >= HANDSHAKE.length) {
        psyncSent = true;
        socket.write(encodeCommand(['PSYNC', '?', '-1']));
      }
      const at = head.indexOf('+FULLRESYNC ');
      const end = at < 0 ? -1 : head.indexOf('\r\n', at);
      if (end < 0) return;
      offset = Number(head.latin1Slice(at, end).split(' ')[2]);
      phase = 'payload';
      chunk = head.subarray(end + 2);
    }
    const progress = payload.feed(chunk);
    if (progress.state !== 'done') return;
    phase = 'stream';
    offset += progress.rest.length;
    ack();
    timer = setInterval(ack, 1000);
  });
  socket.on('error', () => undefined);
  socket.write(Buffer.concat(HANDSHAKE.map(encodeCommand)));
  return {
    stop: async () => {
      if (timer !== null) clearInterval(timer);
      socket.destroy();
    },
  };
}
