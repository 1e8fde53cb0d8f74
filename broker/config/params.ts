/**
 * Every configuration parameter of redis-server 7.0, with its name, aliases, type,
 * default, bounds and flags as redis-server's config.c declares them, plus this
 * broker's own (HTTP, metrics, gateway, logs). CONFIG GET * lists the same names as
 * redis-server's.
 *
 * A parameter marked `noEffect` belongs to a feature that has no meaning here (TLS,
 * cluster, jemalloc, forked children, syslog, ...): it is accepted from a file, a flag
 * and CONFIG SET with redis-server's checks and shown by CONFIG GET, and the broker says
 * once at start-up which of them the configuration set (README, "Accepted, no effect").
 * Where the broker's default differs from redis-server's, a comment says why.
 */
import { ConfigError, type ParamSpec } from './config.js';
import { defaultClientsLimit } from '../net/client-memory.js';
import {
  baseName,
  clampBacklogSize,
  clampHz,
  parseBind,
  parseClientsLimit,
  parseDir,
  parseHostname,
  parseKeyspaceEvents,
  parseOctalMode,
  parseOomScoreAdjValues,
  parseOutputBufferLimits,
  parsePercentiles,
  parseProcTitleTemplate,
  parseReplicaof,
  parseSave,
  parseShutdownFlags,
  refuseTls,
  rewriteOutputBufferLimits,
  rewriteSave,
} from './special.js';
import { quoteRepr } from '../repr.js';
import { formatMemory } from './rewrite.js';

export { keyspaceEventFlags, NotifyFlag } from './special.js';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const UINT_MAX = 4294967295;
const LONG_MAX = 9223372036854775807n;
const LLONG_MAX = LONG_MAX;
const ULLONG_MAX = 18446744073709551615n;

type Options = Omit<Partial<ParamSpec>, 'name' | 'kind' | 'default'>;

/** redis-server's createBoolConfig: `yes`/`no`, any case. */
function bool(name: string, def: 'yes' | 'no', options: Options = {}): ParamSpec {
  return { name, kind: 'bool', default: def, ...options };
}

/** createIntConfig and its wider siblings: a decimal integer within [min, max]. */
function int(name: string, def: string, min: number | bigint, max: number | bigint, options: Options = {}): ParamSpec {
  return { name, kind: 'int', default: def, min, max, ...options };
}

/** A numeric config with MEMORY_CONFIG: bytes with an optional unit (1gb, 64mb, 100k). */
function memory(name: string, def: string, min: number | bigint, max: number | bigint, options: Options = {}): ParamSpec {
  return { name, kind: 'memory', default: def, min, max, ...options };
}

/** createEnumConfig: one of `values`, any case, shown as listed. */
function oneOf(name: string, def: string, values: readonly string[], options: Options = {}): ParamSpec {
  return { name, kind: 'enum', default: def, values, ...options };
}

/** createStringConfig/createSDSConfig: any text. */
function text(name: string, def: string, options: Options = {}): ParamSpec {
  return { name, kind: 'string', default: def, ...options };
}

/** createSpecialConfig: a syntax of its own (special.ts). */
function special(name: string, def: string, parse: ParamSpec['parse'], options: Options = {}): ParamSpec {
  return { name, kind: 'special', default: def, parse, ...options };
}

const NO_EFFECT = { noEffect: true } as const;
const IMMUTABLE = { immutable: true } as const;
const IMMUTABLE_NO_EFFECT = { immutable: true, noEffect: true } as const;
const YES_NO_LOCAL = ['no', 'yes', 'local'] as const;
const MAXMEMORY_POLICIES = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
] as const;

export const PARAMS: readonly ParamSpec[] = [
  // Network and clients.
  int('port', '6379', 0, 65535),
  special('bind', '127.0.0.1 -::1', parseBind, {
    multiArg: true,
    // redis-server's default is not written (and an old line of it goes); others as plain
    // words, the broker's own default included, so that redis-server reads the same.
    rewrite: (value) => (value === '* -::*' ? [] : [[`bind ${value}`, true]]),
  }),
  text('bind-source-addr', '', NO_EFFECT),
  bool('protected-mode', 'yes'),
  int('tcp-backlog', '511', 0, INT_MAX, IMMUTABLE),
  int('tcp-keepalive', '300', 0, INT_MAX),
  int('timeout', '0', 0, INT_MAX),
  int('maxclients', '10000', 1, UINT_MAX),
  text('requirepass', '', { sensitive: true }),
  memory('proto-max-bulk-len', '536870912', 1048576, LONG_MAX),
  memory('client-query-buffer-limit', '1073741824', 1048576, LONG_MAX),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', parseOutputBufferLimits, {
    multiArg: true,
    rewrite: rewriteOutputBufferLimits,
  }),
  int('socket-mark-id', '0', 0, UINT_MAX, IMMUTABLE_NO_EFFECT),
  text('unixsocket', '', IMMUTABLE_NO_EFFECT),
  special('unixsocketperm', '0', parseOctalMode, { ...IMMUTABLE_NO_EFFECT, rewrite: (v, d) => [[`unixsocketperm ${v}`, v !== d]] }),
  int('io-threads', '1', 1, 128, IMMUTABLE_NO_EFFECT),
  bool('io-threads-do-reads', 'no', IMMUTABLE_NO_EFFECT),
  int('tracking-table-max-keys', '1000000', 0, LONG_MAX),

  // Process.
  bool('daemonize', 'no', IMMUTABLE_NO_EFFECT),
  oneOf('supervised', 'no', ['upstart', 'systemd', 'auto', 'no'], IMMUTABLE_NO_EFFECT),
  text('pidfile', '', IMMUTABLE),
  special('dir', '.', parseDir, { protected: true, rewrite: (value) => [[`dir ${quoteRepr(value)}`, true]] }),
  int('databases', '16', 1, INT_MAX, IMMUTABLE),
  int('hz', '10', 0, INT_MAX, { parse: clampHz }),
  bool('dynamic-hz', 'yes', NO_EFFECT),
  int('active-expire-effort', '1', 1, 10),
  oneOf('enable-protected-configs', 'no', YES_NO_LOCAL, IMMUTABLE),
  oneOf('enable-debug-command', 'no', YES_NO_LOCAL, IMMUTABLE),
  oneOf('enable-module-command', 'no', YES_NO_LOCAL, IMMUTABLE),
  special('shutdown-on-sigint', 'default', parseShutdownFlags, { multiArg: true }),
  special('shutdown-on-sigterm', 'default', parseShutdownFlags, { multiArg: true }),
  int('shutdown-timeout', '10', 0, INT_MAX),
  bool('set-proc-title', 'yes', IMMUTABLE_NO_EFFECT),
  special('proc-title-template', '{title} {listen-addr} {server-mode}', parseProcTitleTemplate, NO_EFFECT),
  // `relative` is `yes` (shown so), as in redis-server.
  oneOf('oom-score-adj', 'no', ['no', 'yes', 'relative', 'absolute'], { ...NO_EFFECT, parse: (v) => (v === 'relative' ? 'yes' : v) }),
  special('oom-score-adj-values', '0 200 800', parseOomScoreAdjValues, { ...NO_EFFECT, multiArg: true }),
  bool('disable-thp', 'yes', IMMUTABLE_NO_EFFECT),
  bool('jemalloc-bg-thread', 'yes', NO_EFFECT),
  text('server_cpulist', '', IMMUTABLE_NO_EFFECT),
  text('bio_cpulist', '', IMMUTABLE_NO_EFFECT),
  text('aof_rewrite_cpulist', '', IMMUTABLE_NO_EFFECT),
  text('bgsave_cpulist', '', IMMUTABLE_NO_EFFECT),
  text('ignore-warnings', '', NO_EFFECT),
  bool('crash-log-enabled', 'yes', NO_EFFECT),
  bool('crash-memcheck-enabled', 'yes', NO_EFFECT),

  // Logs (broker/log.ts).
  oneOf('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  text('logfile', '', IMMUTABLE),
  // This broker's own: `human` lines as redis-server's, or `json` lines; `auto` is human
  // on a terminal and JSON otherwise (a file, a pipe, a container's log driver).
  oneOf('log-format', 'auto', ['auto', 'human', 'json'], IMMUTABLE),
  bool('always-show-logo', 'no', IMMUTABLE_NO_EFFECT),
  bool('syslog-enabled', 'no', IMMUTABLE_NO_EFFECT),
  text('syslog-ident', 'redis', IMMUTABLE_NO_EFFECT),
  oneOf('syslog-facility', 'local0', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], IMMUTABLE_NO_EFFECT),

  // Diagnostics.
  int('slowlog-log-slower-than', '10000', -1, LLONG_MAX),
  int('slowlog-max-len', '128', 0, LONG_MAX),
  int('latency-monitor-threshold', '0', 0, LLONG_MAX),
  bool('latency-tracking', 'yes'),
  special('latency-tracking-info-percentiles', '50 99 99.9', parsePercentiles, {
    multiArg: true,
    rewrite: (value) => [[`latency-tracking-info-percentiles ${value === '' ? '""' : value}`, true]],
  }),
  int('busy-reply-threshold', '5000', 0, LONG_MAX, { aliases: ['lua-time-limit'] }),

  // Security: ACLs are not implemented (requirepass is the default user's password).
  text('aclfile', '', IMMUTABLE_NO_EFFECT),
  int('acllog-max-len', '128', 0, LONG_MAX, NO_EFFECT),
  oneOf('acl-pubsub-default', 'resetchannels', ['allchannels', 'resetchannels'], NO_EFFECT),
  // RESTORE always checks a payload whole (engine/persist/dump.ts).
  oneOf('sanitize-dump-payload', 'no', ['no', 'yes', 'clients'], NO_EFFECT),

  // Persistence (broker/persistence): the AOF is on by default here, and snapshots
  // (`save`) off: the AOF is this broker's durable copy.
  special('save', '', parseSave, { multiArg: true, rewrite: rewriteSave }),
  text('dbfilename', 'dump.rdb', { protected: true, parse: baseName('dbfilename') }),
  bool('stop-writes-on-bgsave-error', 'yes'),
  // Snapshots are always compressed and checksummed (engine/persist/rdb/).
  bool('rdbcompression', 'yes', NO_EFFECT),
  bool('rdbchecksum', 'yes', IMMUTABLE_NO_EFFECT),
  bool('rdb-del-sync-files', 'no', NO_EFFECT),
  bool('rdb-save-incremental-fsync', 'yes', NO_EFFECT),
  bool('appendonly', 'yes'),
  oneOf('appendfsync', 'everysec', ['everysec', 'always', 'no']),
  text('appendfilename', 'appendonly.aof', { immutable: true, parse: baseName('appendfilename') }),
  text('appenddirname', 'appendonlydir', { immutable: true, parse: baseName('appenddirname', 'dirname') }),
  int('auto-aof-rewrite-percentage', '100', 0, INT_MAX),
  memory('auto-aof-rewrite-min-size', '67108864', 0, LLONG_MAX),
  bool('aof-load-truncated', 'yes'),
  // Yes: the AOF base is a snapshot (the broker's own format, engine/persist/snapshot.ts).
  bool('aof-use-rdb-preamble', 'yes'),
  // Rewrites are not forked children here: nothing competes with the AOF's fsync.
  bool('no-appendfsync-on-rewrite', 'no', NO_EFFECT),
  bool('aof-rewrite-incremental-fsync', 'yes', NO_EFFECT),
  bool('aof-timestamp-enabled', 'no', NO_EFFECT),
  bool('aof-disable-auto-gc', 'no', NO_EFFECT),
  // Microseconds to block after each key or command loaded, so that tests can watch a load (loading.ts).
  int('key-load-delay', '0', INT_MIN, INT_MAX, { hidden: true }),
  // Microseconds waited per key saved by a full resync's snapshot, so that tests can watch one (full-sync.ts).
  int('rdb-key-save-delay', '0', INT_MIN, INT_MAX, { hidden: true }),

  // Replication (broker/replication).
  text('masterauth', '', { sensitive: true }),
  text('masteruser', '', { sensitive: true }),
  special('replicaof', '', parseReplicaof, {
    // The leader followed now: REPLICAOF changes it, CONFIG SET cannot (redis-server's immutable).
    aliases: ['slaveof'],
    immutable: true,
    multiArg: true,
    rewrite: (value) => (value === '' ? [] : [[`replicaof ${value}`, true]]),
  }),
  bool('replica-read-only', 'yes', { aliases: ['slave-read-only'] }),
  bool('replica-serve-stale-data', 'yes', { aliases: ['slave-serve-stale-data'] }),
  text('replica-announce-ip', '', { aliases: ['slave-announce-ip'] }),
  int('replica-announce-port', '0', 0, 65535, { aliases: ['slave-announce-port'] }),
  int('replica-priority', '100', 0, INT_MAX, { aliases: ['slave-priority'] }),
  bool('replica-announced', 'yes'),
  bool('replica-lazy-flush', 'no', { ...NO_EFFECT, aliases: ['slave-lazy-flush'] }),
  bool('replica-ignore-disk-write-errors', 'no', NO_EFFECT),
  memory('repl-backlog-size', '1048576', 1, LLONG_MAX, { parse: clampBacklogSize }),
  int('repl-backlog-ttl', '3600', 0, LONG_MAX),
  int('repl-ping-replica-period', '10', 1, INT_MAX, { aliases: ['repl-ping-slave-period'] }),
  int('repl-timeout', '60', 1, INT_MAX),
  bool('repl-disable-tcp-nodelay', 'no'),
  int('min-replicas-to-write', '0', 0, INT_MAX, { aliases: ['min-slaves-to-write'] }),
  int('min-replicas-max-lag', '10', 0, INT_MAX, { aliases: ['min-slaves-max-lag'] }),
  // `no`: followers' payloads go through a temp file in `dir` (broker/persistence/full-sync.ts).
  bool('repl-diskless-sync', 'yes'),
  int('repl-diskless-sync-delay', '5', 0, INT_MAX),
  int('repl-diskless-sync-max-replicas', '0', 0, INT_MAX),
  oneOf('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb'], NO_EFFECT),
  oneOf('propagation-error-behavior', 'ignore', ['ignore', 'panic', 'panic-on-replicas'], NO_EFFECT),

  // Memory (engine/memory.ts, engine/evict.ts).
  memory('maxmemory', '0', 0, ULLONG_MAX),
  oneOf('maxmemory-policy', 'noeviction', MAXMEMORY_POLICIES),
  int('maxmemory-samples', '5', 1, INT_MAX),
  int('maxmemory-eviction-tenacity', '10', 0, 100),
  bool('replica-ignore-maxmemory', 'yes', { aliases: ['slave-ignore-maxmemory'] }),
  // Not 0 (off) as in redis-server: see broker/net/client-memory.ts.
  special('maxmemory-clients', String(defaultClientsLimit()), parseClientsLimit, {
    rewrite: (v, d) => [[`maxmemory-clients ${v.endsWith('%') ? v : formatMemory(Number(v))}`, v !== d]],
  }),
  int('lfu-log-factor', '10', 0, INT_MAX),
  int('lfu-decay-time', '1', 0, INT_MAX),
  // The V8 heap has its own collector and compaction: nothing to defragment or rehash.
  bool('activedefrag', 'no', { parse: refuseActiveDefrag }),
  memory('active-defrag-ignore-bytes', '104857600', 1, LLONG_MAX, NO_EFFECT),
  int('active-defrag-threshold-lower', '10', 0, 1000, NO_EFFECT),
  int('active-defrag-threshold-upper', '100', 0, 1000, NO_EFFECT),
  int('active-defrag-cycle-min', '1', 1, 99, NO_EFFECT),
  int('active-defrag-cycle-max', '25', 1, 99, NO_EFFECT),
  int('active-defrag-max-scan-fields', '1000', 1, LONG_MAX, NO_EFFECT),
  bool('activerehashing', 'yes', NO_EFFECT),
  // Values are freed by the V8 collector, off the command path, whatever these say.
  bool('lazyfree-lazy-eviction', 'no', NO_EFFECT),
  bool('lazyfree-lazy-expire', 'no', NO_EFFECT),
  bool('lazyfree-lazy-server-del', 'no', NO_EFFECT),
  bool('lazyfree-lazy-user-del', 'no', NO_EFFECT),
  bool('lazyfree-lazy-user-flush', 'no', NO_EFFECT),

  // Data types: encoding thresholds and stream node sizes.
  int('hash-max-listpack-entries', '512', 0, LONG_MAX, { aliases: ['hash-max-ziplist-entries'] }),
  memory('hash-max-listpack-value', '64', 0, LONG_MAX, { aliases: ['hash-max-ziplist-value'] }),
  int('list-max-listpack-size', '-2', INT_MIN, INT_MAX, { aliases: ['list-max-ziplist-size'] }),
  int('list-compress-depth', '0', 0, INT_MAX),
  int('set-max-intset-entries', '512', 0, LONG_MAX),
  int('zset-max-listpack-entries', '128', 0, LONG_MAX, { aliases: ['zset-max-ziplist-entries'] }),
  memory('zset-max-listpack-value', '64', 0, LONG_MAX, { aliases: ['zset-max-ziplist-value'] }),
  memory('hll-sparse-max-bytes', '3000', 0, LONG_MAX),
  memory('stream-node-max-bytes', '4096', 0, LONG_MAX),
  int('stream-node-max-entries', '100', 0, LLONG_MAX),
  // Keyspace notifications: the canonical flags (keyspaceEventsToString), read by the engine.
  special('notify-keyspace-events', '', parseKeyspaceEvents, {
    // redis-server 7.0 shows `A` alone when `n` (which `A` leaves out) is on too.
    show: (value) => value.replace('An', 'A'),
  }),

  // Cluster mode is not implemented: `cluster-enabled yes` is refused at start-up.
  bool('cluster-enabled', 'no', { immutable: true, parse: refuseClusterMode }),
  text('cluster-config-file', 'nodes.conf', IMMUTABLE_NO_EFFECT),
  int('cluster-port', '0', 0, 65535, IMMUTABLE_NO_EFFECT),
  int('cluster-node-timeout', '15000', 0, LLONG_MAX, NO_EFFECT),
  int('cluster-replica-validity-factor', '10', 0, INT_MAX, { ...NO_EFFECT, aliases: ['cluster-slave-validity-factor'] }),
  int('cluster-migration-barrier', '1', 0, INT_MAX, NO_EFFECT),
  bool('cluster-allow-replica-migration', 'yes', NO_EFFECT),
  bool('cluster-require-full-coverage', 'yes', NO_EFFECT),
  bool('cluster-replica-no-failover', 'no', { ...NO_EFFECT, aliases: ['cluster-slave-no-failover'] }),
  bool('cluster-allow-reads-when-down', 'no', NO_EFFECT),
  bool('cluster-allow-pubsubshard-when-down', 'yes', NO_EFFECT),
  text('cluster-announce-ip', '', NO_EFFECT),
  special('cluster-announce-hostname', '', parseHostname, NO_EFFECT),
  int('cluster-announce-port', '0', 0, 65535, NO_EFFECT),
  int('cluster-announce-bus-port', '0', 0, 65535, NO_EFFECT),
  int('cluster-announce-tls-port', '0', 0, 65535, NO_EFFECT),
  oneOf('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint'], NO_EFFECT),
  memory('cluster-link-sendbuf-limit', '0', 0, ULLONG_MAX, NO_EFFECT),

  // TLS is not implemented: put a TLS terminator (stunnel, a proxy) in front. Turning it
  // on is refused (special.ts refuseTls); the file and cipher settings are kept, unused.
  int('tls-port', '0', 0, 65535, { parse: refuseTls }),
  text('tls-cert-file', '', NO_EFFECT),
  text('tls-key-file', '', NO_EFFECT),
  text('tls-key-file-pass', '', NO_EFFECT),
  text('tls-client-cert-file', '', NO_EFFECT),
  text('tls-client-key-file', '', NO_EFFECT),
  text('tls-client-key-file-pass', '', NO_EFFECT),
  text('tls-dh-params-file', '', NO_EFFECT),
  text('tls-ca-cert-file', '', NO_EFFECT),
  text('tls-ca-cert-dir', '', NO_EFFECT),
  text('tls-protocols', '', NO_EFFECT),
  text('tls-ciphers', '', NO_EFFECT),
  text('tls-ciphersuites', '', NO_EFFECT),
  oneOf('tls-auth-clients', 'yes', ['no', 'yes', 'optional'], NO_EFFECT),
  bool('tls-prefer-server-ciphers', 'no', NO_EFFECT),
  bool('tls-session-caching', 'yes', NO_EFFECT),
  int('tls-session-cache-size', '20480', 0, INT_MAX, NO_EFFECT),
  int('tls-session-cache-timeout', '300', 0, INT_MAX, NO_EFFECT),
  bool('tls-cluster', 'no', { parse: refuseTls }),
  bool('tls-replication', 'no', { parse: refuseTls }),

  // This broker's own. Observability (broker/http/): the HTTP server for /metrics,
  // /healthz and /readyz. 9121 is the port of redis_exporter, which it replaces; 0 turns it off.
  int('http-port', '9121', 0, 65535, IMMUTABLE),
  // With `requirepass` set, whether /metrics and /healthz ask for it too ('no' leaves them
  // open, as operators often want; /readyz always asks).
  bool('http-metrics-auth', 'yes'),
  // Streams and lists given series of their own, at most (the rest counted in the aggregates).
  int('metrics-max-keys', '1000', 0, INT_MAX),
  // Space-separated globs: keys with series of their own match an include (none: every key) and no exclude.
  text('metrics-include-keys', ''),
  text('metrics-exclude-keys', ''),
  // The WebSocket gateway (GET /ws on the HTTP port): sessions at most, a frame's size at
  // most, a session's unsent output before it is closed as not reading, and the ping interval
  // in seconds (0: no pings; also the time to authenticate and to take a close frame).
  int('gateway-max-sessions', '1000', 0, INT_MAX),
  memory('gateway-max-frame-bytes', '1048576', 1024, INT_MAX, IMMUTABLE),
  memory('gateway-session-buffer-limit', '16777216', 0, LLONG_MAX),
  int('gateway-heartbeat-interval', '15', 0, INT_MAX),
];

/** The broker speaks no cluster bus nor CLUSTER commands: starting as a cluster node would mislead clients. */
function refuseClusterMode(value: string): string {
  if (value === 'yes') throw new ConfigError('cluster mode is not supported by this broker');
  return value;
}

/** As redis-server built without jemalloc's defragmentation hints (Debian's): there is nothing to defragment. */
function refuseActiveDefrag(value: string): string {
  if (value === 'yes') {
    throw new ConfigError(
      'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc ' +
        'like the one shipped by default with the Redis source distribution',
    );
  }
  return value;
}

/** The names of the parameters accepted without effect, for the start-up warning and the README. */
export function noEffectNames(): string[] {
  return PARAMS.filter((p) => p.noEffect === true).map((p) => p.name);
}
