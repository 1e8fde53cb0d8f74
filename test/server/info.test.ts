/**
 * INFO's structure: redis-server 7.0.15's sections, field names and order (taken
 * from `INFO everything` of the reference, plus our `broker_version`), values that
 * parse and follow what the broker does.
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';

const FIELDS: Record<string, string[]> = {
  Server: ['redis_version', 'redis_git_sha1', 'redis_git_dirty', 'redis_build_id', 'redis_mode', 'os', 'arch_bits', 'monotonic_clock', 'multiplexing_api', 'atomicvar_api', 'gcc_version', 'process_id', 'process_supervised', 'run_id', 'tcp_port', 'server_time_usec', 'uptime_in_seconds', 'uptime_in_days', 'hz', 'configured_hz', 'lru_clock', 'executable', 'config_file', 'io_threads_active', 'broker_version'],
  Clients: ['connected_clients', 'cluster_connections', 'maxclients', 'client_recent_max_input_buffer', 'client_recent_max_output_buffer', 'blocked_clients', 'tracking_clients', 'clients_in_timeout_table', 'streamed_replies'],
  Memory: ['used_memory', 'used_memory_human', 'used_memory_rss', 'used_memory_rss_human', 'used_memory_peak', 'used_memory_peak_human', 'used_memory_peak_perc', 'used_memory_overhead', 'used_memory_startup', 'used_memory_dataset', 'used_memory_dataset_perc', 'allocator_allocated', 'allocator_active', 'allocator_resident', 'total_system_memory', 'total_system_memory_human', 'used_memory_lua', 'used_memory_vm_eval', 'used_memory_lua_human', 'used_memory_scripts_eval', 'number_of_cached_scripts', 'number_of_functions', 'number_of_libraries', 'used_memory_vm_functions', 'used_memory_vm_total', 'used_memory_vm_total_human', 'used_memory_functions', 'used_memory_scripts', 'used_memory_scripts_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy', 'allocator_frag_ratio', 'allocator_frag_bytes', 'allocator_rss_ratio', 'allocator_rss_bytes', 'rss_overhead_ratio', 'rss_overhead_bytes', 'mem_fragmentation_ratio', 'mem_fragmentation_bytes', 'mem_not_counted_for_evict', 'mem_replication_backlog', 'mem_total_replication_buffers', 'mem_clients_slaves', 'mem_clients_normal', 'mem_cluster_links', 'mem_aof_buffer', 'mem_allocator', 'active_defrag_running', 'lazyfree_pending_objects', 'lazyfreed_objects'],
  Persistence: ['loading', 'async_loading', 'current_cow_peak', 'current_cow_size', 'current_cow_size_age', 'current_fork_perc', 'current_save_keys_processed', 'current_save_keys_total', 'rdb_changes_since_last_save', 'rdb_bgsave_in_progress', 'rdb_last_save_time', 'rdb_last_bgsave_status', 'rdb_last_bgsave_time_sec', 'rdb_current_bgsave_time_sec', 'rdb_saves', 'rdb_last_cow_size', 'rdb_last_load_keys_expired', 'rdb_last_load_keys_loaded', 'aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_rewrites', 'aof_rewrites_consecutive_failures', 'aof_last_write_status', 'aof_last_cow_size', 'module_fork_in_progress', 'module_fork_last_cow_size'],
  Stats: ['total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'total_net_input_bytes', 'total_net_output_bytes', 'total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps', 'instantaneous_output_kbps', 'instantaneous_input_repl_kbps', 'instantaneous_output_repl_kbps', 'rejected_connections', 'sync_full', 'sync_partial_ok', 'sync_partial_err', 'expired_keys', 'expired_stale_perc', 'expired_time_cap_reached_count', 'expire_cycle_cpu_milliseconds', 'evicted_keys', 'evicted_clients', 'total_eviction_exceeded_time', 'current_eviction_exceeded_time', 'keyspace_hits', 'keyspace_misses', 'pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels', 'latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys', 'active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits', 'active_defrag_key_misses', 'total_active_defrag_time', 'current_active_defrag_time', 'tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes', 'unexpected_error_replies', 'total_error_replies', 'dump_payload_sanitizations', 'total_reads_processed', 'total_writes_processed', 'io_threaded_reads_processed', 'io_threaded_writes_processed', 'reply_buffer_shrinks', 'reply_buffer_expands'],
  Replication: ['role', 'connected_slaves', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen'],
  CPU: ['used_cpu_sys', 'used_cpu_user', 'used_cpu_sys_children', 'used_cpu_user_children', 'used_cpu_sys_main_thread', 'used_cpu_user_main_thread'],
  Modules: [],
  Cluster: ['cluster_enabled'],
};

const DEFAULT_SECTIONS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace'];
const ALL_SECTIONS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Commandstats', 'Errorstats', 'Latencystats', 'Cluster', 'Keyspace'];

/** INFO text as sections of [name, value] lines, in order. */
function parseInfo(text: string): [string, [string, string][]][] {
  expect(text === '' || text.endsWith('\r\n')).toBe(true);
  const sections: [string, [string, string][]][] = [];
  for (const block of text.split('\r\n\r\n')) {
    if (block === '') continue;
    const [header, ...lines] = block.split('\r\n').filter((l) => l !== '');
    expect(header).toMatch(/^# \w+$/);
    sections.push([
      header.slice(2),
      lines.map((l) => {
        const colon = l.indexOf(':');
        expect(colon, l).toBeGreaterThan(0);
        return [l.slice(0, colon), l.slice(colon + 1)];
      }),
    ]);
  }
  return sections;
}

describe('INFO', () => {
  const server = suiteBroker();
  const c = suiteClient(server);

  const info = async (...sections: string[]): Promise<[string, [string, string][]][]> =>
    parseInfo((await c.call('INFO', ...sections)).value as string);
  const field = (sections: [string, [string, string][]][], name: string): string =>
    sections.flatMap(([, lines]) => lines).find(([k]) => k === name)![1];

  it('has the default sections with redis-server 7.0 field names in its order', async () => {
    const sections = await info();
    expect(sections.map(([s]) => s)).toEqual(DEFAULT_SECTIONS);
    for (const [name, lines] of sections) {
      if (FIELDS[name] !== undefined) expect(lines.map(([k]) => k), name).toEqual(FIELDS[name]);
    }
  });

  it('has every section for all and everything, none for unknown names, in a fixed order', async () => {
    expect((await info('all')).map(([s]) => s)).toEqual(ALL_SECTIONS);
    expect((await info('everything')).map(([s]) => s)).toEqual(ALL_SECTIONS);
    expect((await info('KEYSPACE', 'server', 'nosuch')).map(([s]) => s)).toEqual(['Server', 'Keyspace']);
    expect((await info('default', 'commandstats')).map(([s]) => s)).toEqual(
      ALL_SECTIONS.filter((s) => s !== 'Latencystats'),
    );
    expect(await info('nosuch')).toEqual([]);
  });

  it('reports what ioredis and tools read: loading:0, version, mode, role, port', async () => {
    const sections = await info();
    expect(field(sections, 'loading')).toBe('0');
    expect(field(sections, 'redis_version')).toBe('7.0.15');
    expect(field(sections, 'broker_version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(field(sections, 'redis_mode')).toBe('standalone');
    expect(field(sections, 'role')).toBe('master');
    expect(field(sections, 'tcp_port')).toBe(String(server.port));
    expect(field(sections, 'run_id')).toMatch(/^[0-9a-f]{40}$/);
    expect(field(sections, 'process_id')).toBe(String(process.pid));
    expect(field(sections, 'aof_enabled')).toBe('0');
  });

  it('has numeric values where redis-server has them', async () => {
    const sections = await info('everything');
    const text = new Set(['os', 'multiplexing_api', 'atomicvar_api', 'monotonic_clock', 'redis_mode', 'redis_version',
      'broker_version', 'gcc_version', 'process_supervised', 'run_id', 'executable', 'config_file', 'redis_git_sha1',
      'redis_build_id', 'maxmemory_policy', 'mem_allocator', 'role', 'master_failover_state', 'master_replid',
      'master_replid2', 'rdb_last_bgsave_status', 'aof_last_bgrewrite_status', 'aof_last_write_status']);
    for (const [section, lines] of sections) {
      if (['Commandstats', 'Errorstats', 'Latencystats', 'Keyspace'].includes(section)) continue;
      for (const [k, v] of lines) {
        if (text.has(k)) continue;
        if (k.endsWith('_human')) expect(v, k).toMatch(/^\d+(\.\d\d[KMGTP]|B)$/);
        else if (k.endsWith('_perc')) expect(v, k).toMatch(/^\d+\.\d\d%?$/);
        else expect(v, k).toMatch(/^-?\d+(\.\d+)?$/);
      }
    }
  });

  it('counts clients, commands, keys, hits and misses, errors', async () => {
    const other = await RawClient.connect(server.port);
    await c.call('CONFIG', 'RESETSTAT');
    await c.call('SELECT', '2');
    await c.call('SET', 'a', '1');
    await c.call('GET', 'a');
    await c.call('GET', 'missing');
    await c.call('NOSUCH');
    await c.call('GET');
    await c.call('CLIENT', 'KILL', 'id', 'x');
    const sections = await info('everything');
    expect(Number(field(sections, 'connected_clients'))).toBe(2);
    expect(field(sections, 'keyspace_hits')).toBe('1');
    expect(field(sections, 'keyspace_misses')).toBe('1');
    // As redis-server: RESETSTAT is counted once done; SELECT, SET, GET x2, CLIENT KILL; not the rejected ones.
    expect(field(sections, 'total_commands_processed')).toBe('6');
    expect(field(sections, 'total_error_replies')).toBe('3');
    expect(field(sections, 'errorstat_ERR')).toBe('count=3');
    expect(field(sections, 'db2')).toBe('keys=1,expires=0,avg_ttl=0');
    expect(field(sections, 'cmdstat_get')).toMatch(/^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$/);
    expect(field(sections, 'cmdstat_client|kill')).toMatch(/^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1$/);
    expect(field(sections, 'latency_percentiles_usec_get')).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    expect(Number(field(sections, 'total_net_input_bytes'))).toBeGreaterThan(0);
    expect(Number(field(sections, 'total_connections_received'))).toBe(0);
    other.close();
    await c.call('SELECT', '0');
  });

  it('uses the latency tracking percentiles configured', async () => {
    await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 100');
    expect(field(await info('latencystats'), 'latency_percentiles_usec_config|set')).toMatch(/^p0=\d+\.\d{3},p100=\d+\.\d{3}$/);
    await c.call('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
  });

  it('answers as a bulk string in RESP2 and verbatim text in RESP3', async () => {
    const r2 = await c.call('INFO', 'cluster');
    expect(r2.raw.toString()).toBe('$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n');
    await c.call('HELLO', '3');
    const r3 = await c.call('INFO', 'cluster');
    expect(r3.raw.toString()).toBe('=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n');
    await c.call('HELLO', '2');
  });
});
