/**
 * INFO [section ...]: redis-server 7.0's sections, field names and order, with values
 * computed from this broker where it has them and redis-server's idle values where
 * it does not (no forks, no Lua VM, no defragmentation). Clients read it: ioredis
 * waits for `loading:0` before it calls itself ready.
 *
 * Sections are data (`INFO_SECTIONS`): the family that owns a subsystem (AOF,
 * replication) replaces the section's `fields` function with its own.
 */
import os from 'node:os';
import type { CommandDef } from '../../engine/command.js';
import type { Connection } from '../net/connection.js';
import type { CommandHost } from '../server.js';
import { BROKER_VERSION, REDIS_VERSION } from '../version.js';
import { processMemory } from '../introspection/memory.js';
import { replicationOf } from '../replication/replication.js';

/** What INFO reads of the broker. */
type InfoSource = Pick<
  CommandHost,
  | 'clientMemory'
  | 'commands'
  | 'config'
  | 'connections'
  | 'engine'
  | 'histograms'
  | 'memory'
  | 'metrics'
  | 'persistence'
  | 'port'
  | 'runId'
  | 'stats'
>;

export interface InfoSection {
  /** Lowercase name as INFO takes it. */
  name: string;
  /** Header as printed after `# `. */
  title: string;
  /** Part of `INFO` / `INFO default`; every section is part of `all` and `everything`. */
  default: boolean;
  /** `name:value` lines. */
  fields(broker: InfoSource): string[];
}

/** redis-server's bytesToHuman. */
function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let d = n;
  for (const unit of units) {
    d /= 1024;
    if (d < 1024 || unit === 'P') return `${d.toFixed(2)}${unit}`;
  }
  return `${n}B`;
}

const fixed = (n: number, digits: number): string => n.toFixed(digits);
/** A ratio as redis-server prints it, 0 when the divisor is. */
const ratio = (a: number, b: number): string => fixed(b === 0 ? 0 : a / b, 2);

function server(b: InfoSource): string[] {
  const now = Date.now();
  const uptime = Math.floor((now - b.stats.startedAt) / 1000);
  const hz = b.config.int('hz');
  const api = process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue';
  return [
    `redis_version:${REDIS_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_build_id:0',
    'redis_mode:standalone',
    `os:${os.type()} ${os.release()} ${os.machine()}`,
    `arch_bits:${process.arch.includes('64') ? 64 : 32}`,
    'monotonic_clock:POSIX clock_gettime',
    `multiplexing_api:${api}`,
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${b.runId}`,
    `tcp_port:${b.port}`,
    `server_time_usec:${Math.floor((performance.timeOrigin + performance.now()) * 1000)}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${hz}`,
    `configured_hz:${hz}`,
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ?? process.execPath}`,
    `config_file:${b.config.file}`,
    'io_threads_active:0',
    `broker_version:${BROKER_VERSION}`,
  ];
}

function clients(b: InfoSource): string[] {
  const recent = b.clientMemory.recentMax(b.connections.values());
  return [
    `connected_clients:${b.connections.size}`,
    'cluster_connections:0',
    `maxclients:${b.config.get('maxclients')}`,
    `client_recent_max_input_buffer:${recent.input}`,
    `client_recent_max_output_buffer:${recent.output}`,
    `blocked_clients:${b.engine.blocking.size}`,
    'tracking_clients:0',
    'clients_in_timeout_table:0',
    `streamed_replies:${b.engine.streamedReplies.live}`,
  ];
}

function memory(b: InfoSource): string[] {
  const m = processMemory();
  const used = b.memory.sample();
  const peak = b.memory.peak;
  const clientsMem = b.clientMemory.normalClients + b.clientMemory.replicaClients;
  const startup = Math.min(b.memory.startup, used);
  const overhead = Math.min(used, startup + clientsMem);
  const dataset = used - overhead;
  const net = Math.max(used - startup, 1);
  const allocated = used;
  const active = m.heapTotal + m.external;
  const resident = m.rss;
  const maxmemory = b.config.int('maxmemory');
  const total = os.totalmem();
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${m.rss}`,
    `used_memory_rss_human:${bytesToHuman(m.rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${fixed((used * 100) / peak, 2)}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${fixed((dataset * 100) / net, 2)}%`,
    `allocator_allocated:${allocated}`,
    `allocator_active:${active}`,
    `allocator_resident:${resident}`,
    `total_system_memory:${total}`,
    `total_system_memory_human:${bytesToHuman(total)}`,
    'used_memory_lua:0',
    'used_memory_vm_eval:0',
    'used_memory_lua_human:0B',
    'used_memory_scripts_eval:0',
    'number_of_cached_scripts:0',
    'number_of_functions:0',
    'number_of_libraries:0',
    'used_memory_vm_functions:0',
    'used_memory_vm_total:0',
    'used_memory_vm_total_human:0B',
    'used_memory_functions:0',
    'used_memory_scripts:0',
    'used_memory_scripts_human:0B',
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${b.config.get('maxmemory-policy')}`,
    `allocator_frag_ratio:${ratio(active, allocated)}`,
    `allocator_frag_bytes:${active - allocated}`,
    `allocator_rss_ratio:${ratio(resident, active)}`,
    `allocator_rss_bytes:${resident - active}`,
    'rss_overhead_ratio:1.00',
    'rss_overhead_bytes:0',
    `mem_fragmentation_ratio:${ratio(m.rss, used)}`,
    `mem_fragmentation_bytes:${m.rss - used}`,
    'mem_not_counted_for_evict:0',
    'mem_replication_backlog:0',
    'mem_total_replication_buffers:0',
    `mem_clients_slaves:${b.clientMemory.replicaClients}`,
    `mem_clients_normal:${b.clientMemory.normalClients}`,
    'mem_cluster_links:0',
    'mem_aof_buffer:0',
    'mem_allocator:libc',
    'active_defrag_running:0',
    'lazyfree_pending_objects:0',
    'lazyfreed_objects:0',
  ];
}

/** Snapshots and the AOF (broker/persistence/persistence.ts). */
function persistence(b: InfoSource): string[] {
  return b.persistence.infoFields();
}

/** sync_full, sync_partial_ok, sync_partial_err: the leader side's counts. */
function syncStats(b: InfoSource): string[] {
  const leader = replicationOf(b)?.leader;
  return [`sync_full:${leader?.syncFull ?? 0}`, `sync_partial_ok:${leader?.syncPartialOk ?? 0}`, `sync_partial_err:${leader?.syncPartialErr ?? 0}`];
}

function stats(b: InfoSource): string[] {
  const s = b.stats;
  const e = b.engine.stats;
  const pubsub = b.engine.pubsub;
  return [
    `total_connections_received:${s.totalConnectionsReceived}`,
    `total_commands_processed:${e.totalCommands}`,
    `instantaneous_ops_per_sec:${Math.floor(b.metrics.ops.rate)}`,
    `total_net_input_bytes:${s.netInputBytes}`,
    `total_net_output_bytes:${s.netOutputBytes}`,
    `total_net_repl_input_bytes:${s.netReplInputBytes}`,
    `total_net_repl_output_bytes:${s.netReplOutputBytes}`,
    `instantaneous_input_kbps:${fixed(b.metrics.netInput.rate / 1024, 2)}`,
    `instantaneous_output_kbps:${fixed(b.metrics.netOutput.rate / 1024, 2)}`,
    `instantaneous_input_repl_kbps:${fixed(b.metrics.netReplInput.rate / 1024, 2)}`,
    `instantaneous_output_repl_kbps:${fixed(b.metrics.netReplOutput.rate / 1024, 2)}`,
    `rejected_connections:${s.rejectedConnections}`,
    ...syncStats(b),
    `expired_keys:${e.expiredKeys}`,
    `expired_stale_perc:${fixed(e.expiredStalePerc * 100, 2)}`,
    `expired_time_cap_reached_count:${e.expiredTimeCapReachedCount}`,
    `expire_cycle_cpu_milliseconds:${Math.floor(e.expireCycleCpuMs)}`,
    'evicted_keys:0',
    `evicted_clients:${b.clientMemory.evicted}`,
    'total_eviction_exceeded_time:0',
    'current_eviction_exceeded_time:0',
    `keyspace_hits:${e.keyspaceHits}`,
    `keyspace_misses:${e.keyspaceMisses}`,
    `pubsub_channels:${pubsub.count('channel')}`,
    `pubsub_patterns:${pubsub.count('pattern')}`,
    `pubsubshard_channels:${pubsub.count('shard')}`,
    'latest_fork_usec:0',
    'total_forks:0',
    'migrate_cached_sockets:0',
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    'tracking_total_keys:0',
    'tracking_total_items:0',
    'tracking_total_prefixes:0',
    'unexpected_error_replies:0',
    `total_error_replies:${s.totalErrorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${s.readsProcessed}`,
    `total_writes_processed:${s.writesProcessed}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
  ];
}

/** Replication's own fields (broker/replication/); a broker built without it leads no one. */
function replication(b: InfoSource): string[] {
  const attached = replicationOf(b);
  if (attached !== null) return attached.infoFields();
  return [
    'role:master',
    'connected_slaves:0',
    'master_failover_state:no-failover',
    `master_replid:${b.runId}`,
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:0',
    'second_repl_offset:-1',
    'repl_backlog_active:0',
    `repl_backlog_size:${b.config.get('repl-backlog-size')}`,
    'repl_backlog_first_byte_offset:0',
    'repl_backlog_histlen:0',
  ];
}

function cpu(): string[] {
  const usage = process.cpuUsage();
  const sys = fixed(usage.system / 1e6, 6);
  const user = fixed(usage.user / 1e6, 6);
  return [
    `used_cpu_sys:${sys}`,
    `used_cpu_user:${user}`,
    'used_cpu_sys_children:0.000000',
    'used_cpu_user_children:0.000000',
    `used_cpu_sys_main_thread:${sys}`,
    `used_cpu_user_main_thread:${user}`,
  ];
}

/** Implemented commands and subcommands, parents first, in table order. */
function allCommands(b: InfoSource) {
  return b.commands.commands().flatMap((cmd) => [cmd, ...(cmd.subcommands?.values() ?? [])]);
}

function commandstats(b: InfoSource): string[] {
  const lines: string[] = [];
  for (const cmd of allCommands(b)) {
    const s = cmd.stats;
    if (s.calls === 0 && s.failedCalls === 0 && s.rejectedCalls === 0) continue;
    const usec = Math.round(s.usec);
    lines.push(
      `cmdstat_${cmd.fullname}:calls=${s.calls},usec=${usec},usec_per_call=${fixed(s.calls === 0 ? 0 : usec / s.calls, 2)},` +
        `rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`,
    );
  }
  return lines;
}

function errorstats(b: InfoSource): string[] {
  // redis-server keeps them in a radix tree: sorted by code.
  return [...b.stats.errors.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([code, count]) => `errorstat_${code}:count=${count}`);
}

function latencystats(b: InfoSource): string[] {
  const percentiles = b.config.get('latency-tracking-info-percentiles').split(' ').filter((p) => p !== '');
  const lines: string[] = [];
  for (const cmd of allCommands(b)) {
    const histogram = b.histograms.get(cmd);
    if (histogram === undefined) continue;
    const values = percentiles.map((p) => `p${p}=${fixed(histogram.valueAt(Number(p)) / 1000, 3)}`);
    lines.push(`latency_percentiles_usec_${cmd.fullname}:${values.join(',')}`);
  }
  return lines;
}

function keyspace(b: InfoSource): string[] {
  const lines: string[] = [];
  for (const db of b.engine.dbs) {
    if (db.size === 0) continue;
    // avg_ttl: the active expire cycle's running estimate, as redis-server's.
    lines.push(`db${db.id}:keys=${db.size},expires=${db.expiresCount},avg_ttl=${db.avgTtl}`);
  }
  return lines;
}

/** Every section, in the order redis-server prints them. */
const INFO_SECTIONS: InfoSection[] = [
  { name: 'server', title: 'Server', default: true, fields: server },
  { name: 'clients', title: 'Clients', default: true, fields: clients },
  { name: 'memory', title: 'Memory', default: true, fields: memory },
  { name: 'persistence', title: 'Persistence', default: true, fields: persistence },
  { name: 'stats', title: 'Stats', default: true, fields: stats },
  { name: 'replication', title: 'Replication', default: true, fields: replication },
  { name: 'cpu', title: 'CPU', default: true, fields: cpu },
  { name: 'modules', title: 'Modules', default: true, fields: () => [] },
  { name: 'commandstats', title: 'Commandstats', default: false, fields: commandstats },
  { name: 'errorstats', title: 'Errorstats', default: true, fields: errorstats },
  { name: 'latencystats', title: 'Latencystats', default: false, fields: latencystats },
  { name: 'cluster', title: 'Cluster', default: true, fields: () => ['cluster_enabled:0'] },
  { name: 'keyspace', title: 'Keyspace', default: true, fields: keyspace },
];

/** The INFO text for the requested section names (redis-server's genInfoSectionDict rules). */
function infoText(b: InfoSource, requested: readonly string[]): string {
  const names = new Set<string>();
  let all = false;
  if (requested.length === 0) names.add('default');
  for (const r of requested) {
    const name = r.toLowerCase();
    if (name === 'all' || name === 'everything') all = true;
    else names.add(name);
  }
  const wanted = (s: InfoSection): boolean => all || names.has(s.name) || (s.default && names.has('default'));
  let text = '';
  for (const section of INFO_SECTIONS) {
    if (!wanted(section)) continue;
    if (text !== '') text += '\r\n';
    text += `# ${section.title}\r\n`;
    for (const line of section.fields(b)) text += line + '\r\n';
  }
  return text;
}

function info(c: Connection, argv: string[]): void {
  c.reply.verbatim(infoText(c.broker, argv.slice(1)));
}

export const infoCommands: readonly CommandDef<Connection>[] = [{ name: 'info', handler: info }];
