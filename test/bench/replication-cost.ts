/**
 * Benchmark: what each follower costs its leader (issue 13), as the leader's CPU time
 * (tools.ts cpuSeconds) for the same pipelined writes with 0, 1 and 2 followers:
 * SET, LPUSH and XADD, redis-benchmark with 50 clients at -P 16. Throughput on this
 * shared machine says more about the neighbours than about the leader; its CPU time per
 * write does not. The followers are redis-server processes for both leaders, so that
 * only the leaders differ; the runs alternate between the two leaders, which run side by
 * side. Reported per leader: µs of CPU per write, and with N followers / with none.
 */
import { RawClient } from '../harness/raw.js';
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

export const COST_STEPS = FOLLOWERS.length;

/**
 * `startFollower(port)` starts a redis-server following the leader on `port`.
 */
export async function replicationCost(
  targets: readonly CostTarget[],
  startFollower: (leaderPort: number) => Promise<Server>,
  scale: number,
  progress: ProgressLine,
): Promise<string[]> {
  const n = Math.max(10_000, Math.round(REQUESTS * scale));
  // usPerWrite[target][write][followers]
  const cost = targets.map(() => WRITES.map(() => FOLLOWERS.map(() => Infinity)));
  for (const followers of FOLLOWERS) {
    const leaders = await Promise.all(targets.map((t) => t.start(LEADER_ARGS)));
    const attached = (await Promise.all(leaders.map((l) => attachFollowers(l.port, followers, startFollower)))).flat();
    try {
      progress.start(`leader CPU per write with ${followers} followers`);
      for (let round = 0; round < ROUNDS; round++) {
        for (let w = 0; w < WRITES.length; w++) {
          const order = (round + w) % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
          for (const i of order) {
            const before = cpuSeconds(leaders[i].pid);
            await benchmarkRun(leaders[i].port, CLIENTS, n, PIPELINE, WRITES[w].spec);
            const us = ((cpuSeconds(leaders[i].pid) - before) * 1e6) / n;
            cost[i][w][followers] = Math.min(cost[i][w][followers], us);
          }
        }
      }
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
    `Follower cost as leader CPU (${n.toLocaleString('en-US')} writes, ${CLIENTS} clients, -P ${PIPELINE}, lowest of ${ROUNDS} rounds; redis-server followers):`,
    ...rows,
  ];
}

/** Starts `count` followers of the leader on `port` and waits until all are online. */
export async function attachFollowers(port: number, count: number, startFollower: (leaderPort: number) => Promise<Server>): Promise<Server[]> {
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
