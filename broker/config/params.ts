/**
 * The configuration parameters this broker knows, with redis-server 7.0's names,
 * defaults, bounds and error texts. Listed are the ones with a meaning here and the
 * ones clients and tools read at connect time (redis-benchmark reads `save` and
 * `appendonly`, queue libraries read `maxmemory-policy`).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ParamSpec, type RewriteLine } from './config.js';
import { formatMemory } from './rewrite.js';
import { quoteRepr } from '../repr.js';
import { parseMemory } from './units.js';
import { NotifyFlag } from '../../engine/notify.js';
import { defaultClientsLimit } from '../net/client-memory.js';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const UINT_MAX = 4294967295;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

const YES_NO_LOCAL = ['no', 'yes', 'local'] as const;

export const PARAMS: readonly ParamSpec[] = [
  // Network and clients.
  { name: 'port', kind: 'int', default: '6379', min: 0, max: 65535, immutable: true },
  {
    name: 'bind',
    kind: 'string',
    default: '127.0.0.1 -::1',
    immutable: true,
    multiArg: true,
    // The default is not written (and an old line of it goes); others as plain words.
    rewrite: (value, defaultValue) => (value === defaultValue ? [] : [[`bind ${value}`, true]]),
  },
  { name: 'protected-mode', kind: 'bool', default: 'yes' },
  { name: 'tcp-backlog', kind: 'int', default: '511', min: 0, max: INT_MAX, immutable: true },
  { name: 'tcp-keepalive', kind: 'int', default: '300', min: 0, max: INT_MAX },
  { name: 'timeout', kind: 'int', default: '0', min: 0, max: INT_MAX },
  { name: 'maxclients', kind: 'int', default: '10000', min: 1, max: UINT_MAX },
  { name: 'requirepass', kind: 'string', default: '', sensitive: true },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '536870912', min: 1048576, max: LLONG_MAX },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1073741824', min: 1048576, max: LLONG_MAX },
  {
    name: 'client-output-buffer-limit',
    kind: 'special',
    default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    multiArg: true,
    parse: parseOutputBufferLimits,
    rewrite: rewriteOutputBufferLimits,
  },
  // Process.
  { name: 'daemonize', kind: 'bool', default: 'no', immutable: true },
  { name: 'pidfile', kind: 'string', default: '', immutable: true },
  {
    name: 'dir',
    kind: 'special',
    default: '.',
    protected: true,
    parse: parseDir,
    rewrite: (value) => [[`dir ${quoteRepr(value)}`, true]],
  },
  { name: 'databases', kind: 'int', default: '16', min: 1, max: INT_MAX, immutable: true },
  { name: 'loglevel', kind: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning'] },
  { name: 'logfile', kind: 'string', default: '', immutable: true },
  { name: 'hz', kind: 'int', default: '10', min: 0, max: INT_MAX, parse: clampHz },
  { name: 'enable-protected-configs', kind: 'enum', default: 'no', values: YES_NO_LOCAL, immutable: true },
  { name: 'enable-debug-command', kind: 'enum', default: 'no', values: YES_NO_LOCAL, immutable: true },
  // Diagnostics.
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', min: -1, max: LLONG_MAX },
  { name: 'slowlog-max-len', kind: 'int', default: '128', min: 0, max: LLONG_MAX },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', min: 0, max: LLONG_MAX },
  { name: 'latency-tracking', kind: 'bool', default: 'yes' },
  {
    name: 'latency-tracking-info-percentiles',
    kind: 'special',
    default: '50 99 99.9',
    multiArg: true,
    parse: parsePercentiles,
    rewrite: (value) => [[`latency-tracking-info-percentiles ${value === '' ? '""' : value}`, true]],
  },
  { name: 'busy-reply-threshold', aliases: ['lua-time-limit'], kind: 'int', default: '5000', min: 0, max: LLONG_MAX },
  // Persistence (broker/aof): the AOF is on by default here; snapshots (`save`) are off by default.
  { name: 'save', kind: 'special', default: '', multiArg: true, parse: parseSave, rewrite: rewriteSave },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', protected: true, parse: baseName('dbfilename') },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool', default: 'yes' },
  { name: 'appendonly', kind: 'bool', default: 'yes' },
  { name: 'appendfsync', kind: 'enum', default: 'everysec', values: ['everysec', 'always', 'no'] },
  { name: 'appendfilename', kind: 'string', default: 'appendonly.aof', immutable: true, parse: baseName('appendfilename') },
  { name: 'appenddirname', kind: 'string', default: 'appendonlydir', immutable: true, parse: baseName('appenddirname', 'dirname') },
  { name: 'auto-aof-rewrite-percentage', kind: 'int', default: '100', min: 0, max: INT_MAX },
  { name: 'auto-aof-rewrite-min-size', kind: 'memory', default: '67108864', min: 0, max: LLONG_MAX },
  { name: 'aof-load-truncated', kind: 'bool', default: 'yes' },
  // Microseconds to block after each key or command loaded, so that tests can watch a load (loading.ts).
  { name: 'key-load-delay', kind: 'int', default: '0', min: INT_MIN, max: INT_MAX, hidden: true },
  // Yes: the AOF base is a snapshot (the broker's own format, engine/persist/snapshot.ts).
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: 'yes' },
  // Replication.
  { name: 'masterauth', kind: 'string', default: '', sensitive: true },
  { name: 'masteruser', kind: 'string', default: '' },
  { name: 'replica-read-only', aliases: ['slave-read-only'], kind: 'bool', default: 'yes' },
  { name: 'repl-backlog-size', kind: 'memory', default: '1048576', min: 1, max: LLONG_MAX },
  { name: 'repl-backlog-ttl', kind: 'int', default: '3600', min: 0, max: LLONG_MAX },
  // Seconds SHUTDOWN (and SIGTERM) waits for followers to acknowledge everything (0: not at all).
  { name: 'shutdown-timeout', kind: 'int', default: '10', min: 0, max: INT_MAX },
  { name: 'repl-ping-replica-period', aliases: ['repl-ping-slave-period'], kind: 'int', default: '10', min: 1, max: INT_MAX },
  { name: 'repl-timeout', kind: 'int', default: '60', min: 1, max: INT_MAX },
  { name: 'repl-disable-tcp-nodelay', kind: 'bool', default: 'no' },
  { name: 'min-replicas-to-write', aliases: ['min-slaves-to-write'], kind: 'int', default: '0', min: 0, max: INT_MAX },
  { name: 'min-replicas-max-lag', aliases: ['min-slaves-max-lag'], kind: 'int', default: '10', min: 0, max: INT_MAX },
  // Followers' payloads are always streamed from the snapshot (broker/replication/leader.ts); `no` is accepted.
  { name: 'repl-diskless-sync', kind: 'bool', default: 'yes' },
  { name: 'repl-diskless-sync-delay', kind: 'int', default: '5', min: 0, max: INT_MAX },
  { name: 'repl-diskless-sync-max-replicas', kind: 'int', default: '0', min: 0, max: INT_MAX },
  { name: 'replica-priority', aliases: ['slave-priority'], kind: 'int', default: '100', min: 0, max: INT_MAX },
  { name: 'replica-announced', kind: 'bool', default: 'yes' },
  // The follower's side (broker/replication/follower.ts). `replicaof` is the leader
  // followed now: REPLICAOF changes it, CONFIG SET cannot (redis-server's immutable).
  {
    name: 'replicaof',
    aliases: ['slaveof'],
    kind: 'special',
    default: '',
    immutable: true,
    multiArg: true,
    parse: parseReplicaof,
    rewrite: (value) => (value === '' ? [] : [[`replicaof ${value}`, true]]),
  },
  { name: 'replica-serve-stale-data', aliases: ['slave-serve-stale-data'], kind: 'bool', default: 'yes' },
  { name: 'replica-announce-ip', aliases: ['slave-announce-ip'], kind: 'string', default: '' },
  { name: 'replica-announce-port', aliases: ['slave-announce-port'], kind: 'int', default: '0', min: 0, max: 65535 },
  // Memory.
  { name: 'maxmemory', kind: 'memory', default: '0', min: 0, max: ULLONG_MAX },
  {
    name: 'maxmemory-policy',
    kind: 'enum',
    default: 'noeviction',
    values: [
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'noeviction',
    ],
  },
  // Not 0 (off) as in redis-server: see broker/net/client-memory.ts.
  { name: 'maxmemory-clients', kind: 'special', default: String(defaultClientsLimit()), parse: parseClientsLimit },
  { name: 'maxmemory-samples', kind: 'int', default: '5', min: 1, max: 255 },
  { name: 'maxmemory-eviction-tenacity', kind: 'int', default: '10', min: 0, max: 100 },
  { name: 'lfu-log-factor', kind: 'int', default: '10', min: 0, max: INT_MAX },
  { name: 'lfu-decay-time', kind: 'int', default: '1', min: 0, max: INT_MAX },
  { name: 'replica-ignore-maxmemory', aliases: ['slave-ignore-maxmemory'], kind: 'bool', default: 'yes' },
  // Observability (broker/http/, this broker's own): the HTTP server for /metrics, /healthz
  // and /readyz. 9121 is the port of redis_exporter, which it replaces; 0 turns it off.
  { name: 'http-port', kind: 'int', default: '9121', min: 0, max: 65535, immutable: true },
  // With `requirepass` set, whether /metrics and /healthz ask for it too ('no' leaves them
  // open, as operators often want; /readyz always asks).
  { name: 'http-metrics-auth', kind: 'bool', default: 'yes' },
  // Streams and lists given series of their own, at most (the rest counted in the aggregates).
  { name: 'metrics-max-keys', kind: 'int', default: '1000', min: 0, max: INT_MAX },
  // Space-separated globs: keys with series of their own match an include (none: every key) and no exclude.
  { name: 'metrics-include-keys', kind: 'string', default: '' },
  { name: 'metrics-exclude-keys', kind: 'string', default: '' },
  // The WebSocket gateway (GET /ws on the HTTP port): sessions at most, a frame's size at
  // most, a session's unsent output before it is closed as not reading, and the ping interval
  // in seconds (0: no pings; also the time to authenticate and to take a close frame).
  { name: 'gateway-max-sessions', kind: 'int', default: '1000', min: 0, max: INT_MAX },
  { name: 'gateway-max-frame-bytes', kind: 'memory', default: '1048576', min: 1024, max: INT_MAX, immutable: true },
  { name: 'gateway-session-buffer-limit', kind: 'memory', default: '16777216', min: 0, max: LLONG_MAX },
  { name: 'gateway-heartbeat-interval', kind: 'int', default: '15', min: 0, max: INT_MAX },
  // Data types: encoding thresholds and stream node sizes.
  { name: 'hash-max-listpack-entries', aliases: ['hash-max-ziplist-entries'], kind: 'int', default: '512', min: 0, max: LLONG_MAX },
  { name: 'hash-max-listpack-value', aliases: ['hash-max-ziplist-value'], kind: 'int', default: '64', min: 0, max: LLONG_MAX },
  { name: 'list-max-listpack-size', aliases: ['list-max-ziplist-size'], kind: 'int', default: '-2', min: INT_MIN, max: INT_MAX },
  { name: 'list-compress-depth', kind: 'int', default: '0', min: 0, max: INT_MAX },
  { name: 'set-max-intset-entries', kind: 'int', default: '512', min: 0, max: LLONG_MAX },
  { name: 'zset-max-listpack-entries', aliases: ['zset-max-ziplist-entries'], kind: 'int', default: '128', min: 0, max: LLONG_MAX },
  { name: 'zset-max-listpack-value', aliases: ['zset-max-ziplist-value'], kind: 'int', default: '64', min: 0, max: LLONG_MAX },
  { name: 'stream-node-max-bytes', kind: 'memory', default: '4096', min: 0, max: LLONG_MAX },
  { name: 'stream-node-max-entries', kind: 'int', default: '100', min: 0, max: LLONG_MAX },
  // Keyspace notifications: the canonical flags (keyspaceEventsToString), read by the engine.
  {
    name: 'notify-keyspace-events',
    kind: 'special',
    default: '',
    parse: parseKeyspaceEvents,
    // redis-server 7.0 shows `A` alone when `n` (which `A` leaves out) is on too.
    show: (value) => value.replace('An', 'A'),
  },
];

/** File names that must not be paths (redis-server's pathIsBaseName checks). */
function baseName(name: string, what = 'filename'): (value: string) => string {
  return (value) => {
    if (value.includes('/') || value.includes('\\')) throw new ConfigError(`${name} can't be a path, just a ${what}`);
    return value;
  };
}

/** redis-server runs `hz` between 1 and 500 whatever is asked, and reports what it runs. */
function clampHz(value: string): string {
  return String(Math.min(Math.max(Number(value), 1), 500));
}

/** `dir` is reported as an absolute path; it must exist (redis-server chdirs into it: strerror on failure). */
function parseDir(value: string): string {
  const absolute = path.resolve(value);
  if (!existsSync(absolute)) throw new ConfigError('No such file or directory');
  if (!statSync(absolute).isDirectory()) throw new ConfigError('Not a directory');
  return absolute;
}

/** C's strtoll with the whole string consumed (leading blanks and a sign allowed; "" reads as 0). */
function strtollWhole(s: string): number | undefined {
  if (s === '') return 0;
  return /^\s*[+-]?\d+$/.test(s) ? parseInt(s, 10) : undefined;
}

/** Multi-word values are split on every single space, as redis-server's sdssplitlen: "a  b" has an empty word. */
function words(value: string): string[] {
  return value === '' ? [] : value.split(' ');
}

/** `save <seconds> <changes> [...]`: pairs with seconds >= 1 and changes >= 0, or "". */
function parseSave(value: string): string {
  const args = words(value);
  if (args.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
  const numbers = args.map((s, i) => {
    const n = strtollWhole(s);
    if (n === undefined || n < (i % 2 === 0 ? 1 : 0)) throw new ConfigError('Invalid save parameters');
    return n;
  });
  return numbers.join(' ');
}

/** One `save <seconds> <changes>` line per pair, or `save ""` so no default applies. */
function rewriteSave(value: string): RewriteLine[] {
  const n = words(value);
  if (n.length === 0) return [['save ""', true]];
  const lines: RewriteLine[] = [];
  for (let i = 0; i < n.length; i += 2) lines.push([`save ${n[i]} ${n[i + 1]}`, true]);
  return lines;
}

/** A memory value or a percentage of maxmemory ("10%"), as redis-server's PERCENT_CONFIG parameters. */
function parseClientsLimit(value: string): string {
  const percent = /^(\d+)%$/.exec(value);
  if (percent !== null) {
    if (Number(percent[1]) > 100) throw new ConfigError('percentage argument must be less or equal to 100');
    return `${Number(percent[1])}%`;
  }
  const n = value.includes('-') ? undefined : parseMemory(value);
  if (n === undefined) throw new ConfigError('argument must be a memory or percent value');
  return String(n);
}

/** `replicaof <host> <port>` (one argument "host port" from a flag too), or nothing. */
function parseReplicaof(value: string): string {
  const words = value.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return '';
  if (words.length !== 2) throw new ConfigError('wrong number of arguments');
  return `${words[0]} ${words[1]}`;
}

const BUFFER_CLASSES: Record<string, string> = { normal: 'normal', slave: 'slave', replica: 'slave', pubsub: 'pubsub' };

/** `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`, merged into the current limits. */
function parseOutputBufferLimits(value: string, previous: string): string {
  const args = words(value);
  if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits = new Map<string, string>();
  const current = previous.split(' ');
  for (let i = 0; i + 3 < current.length; i += 4) limits.set(current[i], current.slice(i + 1, i + 4).join(' '));
  for (let i = 0; i < args.length; i += 4) {
    const cls = BUFFER_CLASSES[args[i].toLowerCase()];
    if (cls === undefined) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = args[i + 1].includes('-') ? undefined : parseMemory(args[i + 1]);
    const soft = args[i + 2].includes('-') ? undefined : parseMemory(args[i + 2]);
    const seconds = strtollWhole(args[i + 3]);
    if (hard === undefined || soft === undefined || seconds === undefined || seconds < 0) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    limits.set(cls, `${hard} ${soft} ${seconds}`);
  }
  return ['normal', 'slave', 'pubsub'].map((cls) => `${cls} ${limits.get(cls) ?? '0 0 0'}`).join(' ');
}

/** One line per client class, sizes with units, each written when it differs from its default. */
function rewriteOutputBufferLimits(value: string, defaultValue: string): RewriteLine[] {
  const current = words(value);
  const defaults = words(defaultValue);
  const lines: RewriteLine[] = [];
  for (let i = 0; i + 3 < current.length; i += 4) {
    const [cls, hard, soft, seconds] = current.slice(i, i + 4);
    const force = current.slice(i, i + 4).join(' ') !== defaults.slice(i, i + 4).join(' ');
    const name = cls === 'slave' ? 'replica' : cls;
    lines.push([`client-output-buffer-limit ${name} ${formatMemory(Number(hard))} ${formatMemory(Number(soft))} ${seconds}`, force]);
  }
  return lines;
}

/** Percentiles for INFO latencystats, each within [0, 100], shown as `%f` without trailing zeros. */
function parsePercentiles(value: string): string {
  return words(value)
    .map((s) => {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
      if (Number.isNaN(n)) throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
      if (n < 0 || n > 100) {
        throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      }
      return trimDouble(n.toFixed(6));
    })
    .join(' ');
}

/** redis-server's trimDoubleString: `99.900000` -> `99.9`, `50.000000` -> `50`. */
function trimDouble(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Keyspace notification classes: engine/notify.ts owns them (the engine publishes the events). */
export { NotifyFlag };

const NOTIFY_CHARS: Record<string, number> = {
  g: NotifyFlag.Generic,
  $: NotifyFlag.String,
  l: NotifyFlag.List,
  s: NotifyFlag.Set,
  h: NotifyFlag.Hash,
  z: NotifyFlag.Zset,
  x: NotifyFlag.Expired,
  e: NotifyFlag.Evicted,
  t: NotifyFlag.Stream,
  d: NotifyFlag.Module,
  n: NotifyFlag.New,
  K: NotifyFlag.Keyspace,
  E: NotifyFlag.Keyevent,
  m: NotifyFlag.KeyMiss,
};
/** `A`: every class except key-miss and new-key events. */
const NOTIFY_ALL =
  NotifyFlag.Generic | NotifyFlag.String | NotifyFlag.List | NotifyFlag.Set | NotifyFlag.Hash |
  NotifyFlag.Zset | NotifyFlag.Expired | NotifyFlag.Evicted | NotifyFlag.Stream | NotifyFlag.Module;

/** The NOTIFY_* bits of a `notify-keyspace-events` value; -1 for an unknown character. */
export function keyspaceEventFlags(value: string): number {
  let flags = 0;
  for (const ch of value) {
    if (ch === 'A') flags |= NOTIFY_ALL;
    else if (NOTIFY_CHARS[ch] !== undefined) flags |= NOTIFY_CHARS[ch];
    else return -1;
  }
  return flags;
}

/**
 * redis-server's keyspaceEventsFlagsToString: the canonical spelling, which CONFIG GET
 * shows (but for `An`, shown as `A`).
 */
function keyspaceEventsToString(flags: number): string {
  let s = '';
  // The value keeps `n` next to `A` (redis-server's flags keep it; its text drops it, see `show`).
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += flags & NotifyFlag.New ? 'An' : 'A';
  else for (const ch of 'g$lshzxetdn') if (flags & NOTIFY_CHARS[ch]) s += ch;
  for (const ch of 'KEm') if (flags & NOTIFY_CHARS[ch]) s += ch;
  return s;
}

function parseKeyspaceEvents(value: string): string {
  const flags = keyspaceEventFlags(value);
  if (flags < 0) throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  return keyspaceEventsToString(flags);
}
