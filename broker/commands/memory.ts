/**
 * MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP, as redis-server 7.0's
 * memoryCommand, over the broker's memory account (broker/introspection/memory.ts) and
 * the engine's per-key estimates (engine/memory.ts).
 *
 * Where it differs: MEMORY USAGE takes SAMPLES (checked as redis-server does) but does
 * not need it: every value's estimate is kept current from exact counts of its
 * elements and their bytes, so the figure is the whole value's, not extrapolated from
 * a few elements. MALLOC-STATS and PURGE answer as redis-server built without jemalloc
 * (this process's allocator is V8's, which no command can purge).
 */
import type { CommandDef } from '../../engine/command.js';
import { replyHelp } from '../../engine/help.js';
import { entryBytes, EXPIRY_OVERHEAD, KEY_OVERHEAD } from '../../engine/memory.js';
import { NOT_INTEGER, SYNTAX } from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import { processMemory } from '../introspection/memory.js';

/** MEMORY USAGE key [SAMPLES count]: the options are checked, then the key looked up without touching it (dictFind). */
function memoryUsage(c: Connection, argv: string[]): void {
  for (let j = 3; j < argv.length; j++) {
    if (argv[j].toLowerCase() !== 'samples' || j + 1 >= argv.length) return c.reply.error(SYNTAX);
    const samples = parseInt64(argv[++j]);
    if (samples === null) return c.reply.error(NOT_INTEGER);
    if (samples < 0) return c.reply.error(SYNTAX);
  }
  const e = c.db.peek(argv[2]);
  if (e === undefined) return c.reply.nil();
  c.reply.int(entryBytes(e));
}

/** A C float shown as redis-server's addReplyDouble shows it (MEMORY STATS computes its ratios in floats). */
function replyFloat(c: Connection, n: number): void {
  c.reply.double(Math.fround(Number.isFinite(n) ? n : 0));
}

/** MEMORY STATS: getMemoryOverheadData's fields in 7.0's order, one `db.N` map per db with keys. */
function memoryStats(c: Connection): void {
  const b = c.broker;
  const f = b.memory.figures();
  const m = processMemory();
  const dbs = b.engine.dbs.filter((db) => db.size > 0);
  let keys = 0;
  let dbOverhead = 0;
  for (const db of dbs) {
    keys += db.size;
    dbOverhead += db.size * KEY_OVERHEAD + db.expiresCount * EXPIRY_OVERHEAD;
  }
  const overhead = f.startup + f.replicationBacklog + f.clientsReplicas + f.clientsNormal + f.aofBuffer + dbOverhead;
  const dataset = Math.max(f.used - overhead, 0);
  const net = f.used - f.startup;
  const allocated = m.heapUsed + m.external;
  const active = m.heapTotal + m.external;
  const ints: [string, number][] = [
    ['peak.allocated', b.memory.peak],
    ['total.allocated', f.used],
    ['startup.allocated', f.startup],
    ['replication.backlog', f.replicationBacklog],
    ['clients.slaves', f.clientsReplicas],
    ['clients.normal', f.clientsNormal],
    ['cluster.links', 0],
    ['aof.buffer', f.aofBuffer],
    ['lua.caches', 0],
    ['functions.caches', 0],
  ];
  c.reply.map(ints.length + dbs.length + 17);
  for (const [name, n] of ints) {
    c.reply.bulk(name);
    c.reply.int(n);
  }
  for (const db of dbs) {
    c.reply.bulk(`db.${db.id}`);
    c.reply.map(3);
    c.reply.bulk('overhead.hashtable.main');
    c.reply.int(db.size * KEY_OVERHEAD);
    c.reply.bulk('overhead.hashtable.expires');
    c.reply.int(db.expiresCount * EXPIRY_OVERHEAD);
    c.reply.bulk('overhead.hashtable.slot-to-keys');
    c.reply.int(0);
  }
  const rest: [string, number, boolean][] = [
    ['overhead.total', overhead, false],
    ['keys.count', keys, false],
    ['keys.bytes-per-key', keys === 0 ? 0 : Math.floor(net / keys), false],
    ['dataset.bytes', dataset, false],
    ['dataset.percentage', net <= 0 ? 0 : (dataset * 100) / net, true],
    ['peak.percentage', (f.used * 100) / b.memory.peak, true],
    ['allocator.allocated', allocated, false],
    ['allocator.active', active, false],
    ['allocator.resident', m.rss, false],
    ['allocator-fragmentation.ratio', active / allocated, true],
    ['allocator-fragmentation.bytes', active - allocated, false],
    ['allocator-rss.ratio', m.rss / active, true],
    ['allocator-rss.bytes', m.rss - active, false],
    ['rss-overhead.ratio', 1, true],
    ['rss-overhead.bytes', 0, false],
    ['fragmentation', m.rss / f.used, true],
    ['fragmentation.bytes', m.rss - f.used, false],
  ];
  for (const [name, n, float] of rest) {
    c.reply.bulk(name);
    if (float) replyFloat(c, n);
    else c.reply.int(Math.trunc(n));
  }
}

const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_FINE = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_PEAK =
  ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n';
const DOCTOR_REPLICAS =
  ' * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n';
const DOCTOR_CLIENTS =
  ' * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n';

/**
 * getMemoryDoctorReport's checks that mean something here: an instance under 5 MB, a
 * peak over 150% of now, big client and replica buffers. Fragmentation is V8's
 * business (its heap is compacted by its collector), so it is not reported.
 */
function doctorReport(c: Connection): string {
  const b = c.broker;
  const f = b.memory.figures();
  // redis-server calls an instance under 5 MB empty; here that is what the data and buffers add to the baseline.
  if (f.used - f.startup < 5 * 1024 * 1024) return DOCTOR_EMPTY;
  let replicas = 0;
  for (const conn of b.connections.values()) if (conn.kind === 'replica') replicas++;
  const normal = Math.max(b.connections.size - replicas, 1);
  const issues: string[] = [];
  if (b.memory.peak / f.used > 1.5) issues.push(DOCTOR_PEAK);
  if (replicas > 0 && f.clientsReplicas > 10 * 1024 * 1024) issues.push(DOCTOR_REPLICAS);
  if (f.clientsNormal / normal > 200 * 1024) issues.push(DOCTOR_CLIENTS);
  if (issues.length === 0) return DOCTOR_FINE;
  return `Sam, I detected a few issues in this Redis instance memory implants:\n\n${issues.join('')}I'm here to keep you safe, Sam. I want to help you.\n`;
}

const HELP = [
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

export const memoryCommands: readonly CommandDef<Connection>[] = [
  { name: 'memory|usage', handler: memoryUsage },
  { name: 'memory|stats', handler: memoryStats },
  { name: 'memory|doctor', handler: (c) => c.reply.verbatim(doctorReport(c)) },
  { name: 'memory|malloc-stats', handler: (c) => c.reply.bulk('Stats not supported for the current allocator') },
  { name: 'memory|purge', handler: (c) => c.reply.ok() },
  { name: 'memory|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];
