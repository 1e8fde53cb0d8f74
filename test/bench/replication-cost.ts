/**
 * Benchmark: what each follower costs its leader (issue 13), as the leader's CPU time
 * (tools.ts cpuSeconds) for the same pipelined writes with 0, 1 and 2 followers:
 * SET, LPUSH and XADD, redis-benchmark with 50 clients at -P 16. Throughput on this
 * shared machine says more about the neighbours than about the leader; its CPU time per
 * write does not. The followers are stream readers in this process (`streamReader`:
 * the handshake, the payload, then the stream read and acknowledged, nothing applied),
 * the same for both leaders: a follower process on the same two cores would be measured
 * too, its applying competing with the leader for the CPU (the `followers-N` scenarios
 * of run.ts show that, with redis-server followers). The runs alternate between the two
 * leaders, which run side by side. Reported per leader: µs of CPU per write, and with N
 * followers / with none. Then the follower's side: a real follower of each kind, its CPU
 * per write applied.
 */
import net from 'node:net';
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
const PIPELINE = 16;
/** Rounds per figure; the lowest CPU time counts (noise from other processes only adds). */
const ROUNDS = 2;
const LEADER_ARGS = ['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];

/** Progress steps: one per follower count, and the followers' apply cost. */
export const COST_STEPS = FOLLOWERS.length + 1;

export async function replicationCost(targets: readonly CostTarget[], scale: number, progress: ProgressLine): Promise<string[]> {
  const n = Math.max(10_000, Math.round(REQUESTS * scale));
  // usPerWrite[target][write][followers]
  const cost = targets.map(() => WRITES.map(() => FOLLOWERS.map(() => Infinity)));
  for (const followers of FOLLOWERS) {
    const leaders = await Promise.all(targets.map((t) => t.start(LEADER_ARGS)));
    const attached = (await Promise.all(leaders.map((l) => attachFollowers(l.port, followers, streamReader)))).flat();
    try {
      progress.start(`leader CPU per write with ${followers} followers`);
      await interleaved(targets.length, async (i, w) => {
        const before = cpuSeconds(leaders[i].pid);
        await benchmarkRun(leaders[i].port, CLIENTS, n, PIPELINE, WRITES[w].spec);
        const us = ((cpuSeconds(leaders[i].pid) - before) * 1e6) / n;
        cost[i][w][followers] = Math.min(cost[i][w][followers], us);
      });
      progress.end(targets.map((t, i) => `${t.name}: ${WRITES.map((w, j) => `${w.name} ${cost[i][j][followers].toFixed(2)}`).join(' ')} µs`).join('; '));
    } finally {
      await Promise.all([...attached, ...leaders].map((s) => s.stop()));
    }
  }
  const rows: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    for (let w = 0; w < WRITES.length; w++) {
      const c = cost[i][w];
      const figures = FOLLOWERS.map((f) => `${f}: ${c[f].toFixed(2)}`).join(', ');
      const ratios = FOLLOWERS.slice(1).map((f) => `${f}/0 ${(c[f] / c[0]).toFixed(2)}`).join(', ');
      rows.push(`  ${targets[i].name.padEnd(12)} ${WRITES[w].name.padEnd(6)} µs of leader CPU per write with N followers: ${figures} (${ratios})`);
    }
  }
  return [
    '',
    `Follower cost as leader CPU (${n.toLocaleString('en-US')} writes, ${CLIENTS} clients, -P ${PIPELINE}, lowest of ${ROUNDS} rounds; followers that read the stream and apply nothing):`,
    ...rows,
    ...(await applyCost(targets, n, progress)),
  ];
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
      await benchmarkRun(leaders[i].port, CLIENTS, n, PIPELINE, WRITES[w].spec);
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
