/**
 * A follower's warm-up of its apply path, once per process: a short synthetic stream of
 * writes applied by a scratch broker and dropped, begun when its first full resync's
 * payload starts arriving (the leader is making it; the follower mostly waits for its
 * bytes) and awaited after the load, before the stream flows. The scratch broker is
 * never started (no listener, no cron, no AOF, its own engine and dispatcher, a silent
 * log); the writes come through a `LeaderConnection`, as the leader's stream does; a
 * client of it waits in `XREAD BLOCK` and is woken by them, and the stream nodes they
 * close are encoded as the cron does when idle: the classes and functions of the real
 * path, the real objects untouched.
 *
 * Why: a fresh process runs this path in V8's interpreter while the optimizing compiler
 * works on background threads. A stream of 10,000 XADD/s arriving at such a follower
 * took it several times its steady CPU per command, on a small machine whose cores the
 * compiler threads took meanwhile, and it fell behind for the first second: a p99 lag of
 * 16-37 ms in the first second against 2.7 ms after it (`replication_lag` in `npm run
 * bench`). Warmed here, that work is done before the link is up, while the leader holds
 * the stream for us.
 *
 * The leader's side is not warmed. A warm-up of its write path (a client's writes, their
 * effects encoded into a stream log), run while the follower loaded the payload, made no
 * difference to the lag that could be measured (broker to broker, whole-run p99 2.40 to
 * 3.40 ms with it against 2.49 to 3.06 without, four interleaved rounds each), and on a
 * machine shared with the follower it took the CPU of the follower's load: the full
 * resync of a 1,000,000-entry stream took 0.60-0.65 s instead of 0.40-0.42.
 *
 * Bounded: WARM_UP_MS of the main thread's CPU time, counted once the scratch broker is
 * built (building it, 15-40 ms, warms nothing the stream runs), at most MAX_ROUNDS
 * reads, once per process. The compiler threads' CPU comes on top (about as
 * much again: 100 ms on the main thread was 210 ms in all, 380 reads): compiling that
 * the stream's first second would otherwise do. What it buys grows with the budget:
 * after 100 ms the parser, `Engine.call` and dispatch's `execute` are optimized, `xadd`
 * and the stream's append not yet; after about 200 ms most of the path is (trace-opt).
 * Measured on a quiet 2-core machine (the bench's broker-to-broker lag, four interleaved
 * rounds of each build, the follower's warm-up alone), whole-run p99 at 10,000 XADD/s:
 * no warm-up 8.5 to 23.1 ms, 100 ms 3.2 to 12.4, 300 ms 2.6 to 5.2 (first second 3.8
 * to 9.6 against 17.9 to 53.0 without).
 * Code optimized here meets objects of other shapes and commands of other forms on the
 * real paths (their sockets and callbacks, other IDs, larger pipelines): a few functions
 * deoptimize once in the first second and are optimized again. redis-server has no such
 * step: C needs no warming.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Broker } from '../server.js';
import { Connection } from '../net/connection.js';
import type { Logger } from '../log.js';
import { LeaderConnection } from './leader-connection.js';

/** CPU time of the main thread the warm-up may take (the compiler threads' is extra: see above). */
const WARM_UP_MS = 300;
/** Reads of the synthetic stream at most. */
const MAX_ROUNDS = 2000;
/** Linux's USER_HZ, the unit of /proc's CPU times. */
const TICKS_PER_SECOND = 100;
/** XADDs in each read, as a leader's turn carries several; the other commands follow them. */
const XADDS_PER_READ = 6;

/** The warm-up, once started: later calls wait for the same one. */
let warming: Promise<void> | null = null;

/**
 * Warms the apply path unless this process did already; resolves when it is warm (at
 * once after the first time). Never rejects (a failure is logged and the sync goes on).
 */
export function warmApplyPath(log: Logger): Promise<void> {
  warming ??= warm(log);
  return warming;
}

async function warm(log: Logger): Promise<void> {
  const began = performance.now();
  const cpuBegan = cpuMs();
  const mainBegan = mainThreadCpuMs();
  try {
    const rounds = await runSynthetic(log);
    const cpu = (cpuMs() - cpuBegan).toFixed(0);
    const main = (mainThreadCpuMs() - mainBegan).toFixed(0);
    log.info(`Warmed the apply path for the stream: ${rounds} reads, ${main} ms of CPU on the main thread, ${cpu} ms in all, ${(performance.now() - began).toFixed(0)} ms elapsed`);
  } catch (err) {
    log.warn({ err }, 'Warming the apply path for the stream failed; going on without');
  }
}

/**
 * Runs the synthetic stream on a scratch broker until the main thread has spent
 * WARM_UP_MS of CPU on it, counted from when the scratch broker is built (building it,
 * 15-40 ms, warms nothing the stream runs); returns the reads applied.
 */
async function runSynthetic(log: Logger): Promise<number> {
  const scratch = new Broker({ args: ['--save', '', '--appendonly', 'no'], log: log.child({}, { level: 'silent' }) });
  const until = mainThreadCpuMs() + WARM_UP_MS;
  const link = scratch.adopt((id) => new LeaderConnection(scratch, new net.Socket(), id, noop, noop));
  const readerSocket = new net.Socket();
  const reader = scratch.adopt((id) => new Connection(scratch, readerSocket, id));
  // Its replies are kept, not written: the socket is connected to nothing.
  reader.outputHeld = true;
  let round = 0;
  try {
    for (; round < MAX_ROUNDS && (round % 8 !== 0 || mainThreadCpuMs() < until); round++) {
      readerSocket.emit('data', Buffer.from(encode(['XREAD', 'COUNT', '100', 'BLOCK', '0', 'STREAMS', 'warm-up:stream', `1-${round * XADDS_PER_READ}`]), 'latin1'));
      link.input(syntheticRead(round));
      // The end of the turn, as after a read: the reader resumes, replies are flushed.
      await new Promise((resolve) => setImmediate(resolve));
      if (round % 16 === 15) scratch.engine.encodeSealedNodes(1);
    }
  } finally {
    link.close();
    reader.close();
  }
  return round;
}

/** CPU time of the process (every thread: the compiler's too), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU time of the main thread in ms, from /proc (Linux; in clock ticks, 10 ms), or the
 * process's where /proc cannot tell (a stricter bound).
 */
function mainThreadCpuMs(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return cpuMs();
  }
}

/**
 * One read of the synthetic stream: XADDs with the IDs a leader gives, then the other
 * writes that a leader's stream carries most. A stream and a list are deleted every eighth read and created again by the
 * next: code optimized only on keys that exist deoptimizes at the first write that
 * creates one, and the writes a link starts with often do (trace-deopt, broker to broker:
 * the stream's `append` and `seekNode` deoptimized at the first XADD of the real stream,
 * while the scratch's stream was never made anew).
 */
function syntheticRead(round: number): Buffer {
  const parts: string[] = [];
  for (let i = 1; i <= XADDS_PER_READ; i++) parts.push(encode(['XADD', 'warm-up:stream', `1-${round * XADDS_PER_READ + i}`, 'field', 'value']));
  parts.push(encode(['XADD', 'warm-up:short', `1-${round + 1}`, 'field', 'value']));
  const key = `warm-up:${round % 16}`;
  parts.push(
    encode(['SET', key, 'value']),
    encode(['PEXPIREAT', key, '4102444800000']),
    encode(['LPUSH', 'warm-up:list', 'value']),
    encode(['HSET', 'warm-up:hash', `field${round % 32}`, 'value']),
    encode(['INCR', 'warm-up:counter']),
  );
  if (round % 8 === 7) parts.push(encode(['DEL', 'warm-up:list', 'warm-up:short']), encode(['PING']));
  return Buffer.from(parts.join(''), 'latin1');
}

function encode(argv: readonly string[]): string {
  return `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
}

function noop(): void {}
