/**
 * The parameters whose values have a syntax of their own (redis-server's "special"
 * configs and the validity checks of some plain ones): each parser takes the raw text
 * and returns the normalized value CONFIG GET shows, or throws ConfigError with
 * redis-server's words. params.ts names which parameter uses which.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type RewriteLine } from './config.js';
import { formatMemory } from './rewrite.js';
import { memtoull, parseMemory } from './units.js';
import { NotifyFlag } from '../../engine/notify.js';

/** File names that must not be paths (redis-server's pathIsBaseName checks). */
export function baseName(name: string, what = 'filename'): (value: string) => string {
  return (value) => {
    if (value.includes('/') || value.includes('\\')) throw new ConfigError(`${name} can't be a path, just a ${what}`);
    return value;
  };
}

/** redis-server runs `hz` between 1 and 500 whatever is asked, and reports what it runs. */
export function clampHz(value: string): string {
  return String(Math.min(Math.max(Number(value), 1), 500));
}

/** `dir` is reported as an absolute path; it must exist (redis-server chdirs into it: strerror on failure). */
export function parseDir(value: string): string {
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
export function parseSave(value: string): string {
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
export function rewriteSave(value: string): RewriteLine[] {
  const n = words(value);
  if (n.length === 0) return [['save ""', true]];
  const lines: RewriteLine[] = [];
  for (let i = 0; i < n.length; i += 2) lines.push([`save ${n[i]} ${n[i + 1]}`, true]);
  return lines;
}

/**
 * `maxmemory-clients`: a memory value or a percentage of maxmemory ("10%"), as
 * redis-server's PERCENT_CONFIG parameters, which keep a percentage as a negative number:
 * so does a memory value read as negative (2^63 and above), shown as a percentage too.
 */
export function parseClientsLimit(value: string): string {
  const percent = /^(\d+)%$/.exec(value);
  let n: bigint;
  if (percent !== null) {
    n = -BigInt(percent[1]);
  } else {
    const bytes = memtoull(value);
    if (bytes === null) throw new ConfigError('argument must be a memory or percent value');
    n = bytes > 9223372036854775807n ? bytes - 18446744073709551616n : bytes;
  }
  if (n < -100n) throw new ConfigError('percentage argument must be less or equal to 100');
  return n < 0n ? `${-n}%` : String(n);
}

/** `replicaof <host> <port>` (one argument "host port" from a flag too), or nothing. */
export function parseReplicaof(value: string): string {
  const words = value.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return '';
  if (words.length !== 2) throw new ConfigError('wrong number of arguments');
  return `${words[0]} ${words[1]}`;
}

const BUFFER_CLASSES: Record<string, string> = { normal: 'normal', slave: 'slave', replica: 'slave', pubsub: 'pubsub' };

/** `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`, merged into the current limits. */
export function parseOutputBufferLimits(value: string, previous: string): string {
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
export function rewriteOutputBufferLimits(value: string, defaultValue: string): RewriteLine[] {
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
export function parsePercentiles(value: string): string {
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

export function parseKeyspaceEvents(value: string): string {
  const flags = keyspaceEventFlags(value);
  if (flags < 0) throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  return keyspaceEventsToString(flags);
}

const SHUTDOWN_FLAGS = ['save', 'nosave', 'now', 'force'] as const;

/**
 * `shutdown-on-sigint`/`shutdown-on-sigterm`: `default` or any of save, nosave, now,
 * force (redis-server's multi-value enum), shown in that order.
 */
export function parseShutdownFlags(value: string): string {
  const given = new Set<string>();
  for (const word of words(value.toLowerCase())) {
    if (word !== 'default' && !(SHUTDOWN_FLAGS as readonly string[]).includes(word)) {
      throw new ConfigError('argument(s) must be one of the following: default, save, nosave, now, force');
    }
    given.add(word);
  }
  if (given.size === 0) throw new ConfigError('argument(s) must be one of the following: default, save, nosave, now, force');
  if (given.has('save') && given.has('nosave')) throw new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  const flags = SHUTDOWN_FLAGS.filter((f) => given.has(f));
  return flags.length === 0 ? 'default' : flags.join(' ');
}

/** `oom-score-adj-values <replica> <leader> <bgchild>`: three integers within ±2000. */
export function parseOomScoreAdjValues(value: string): string {
  const args = words(value);
  if (args.length !== 3) throw new ConfigError('wrong number of arguments');
  return args
    .map((s) => {
      const n = strtollWhole(s);
      if (n === undefined || s === '' || n < -2000 || n > 2000) {
        throw new ConfigError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
      }
      return n;
    })
    .join(' ');
}

const TITLE_VARIABLES = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);
/** The variables redis-server's check expands to nothing: the title (given as ""), the mode and paths unset. */
const EMPTY_TITLE_VARIABLES = new Set(['title', 'server-mode', 'unixsocket', 'config-file']);

/**
 * `proc-title-template`: redis-server's sdstemplate syntax (`{name}` variables of a
 * known set, `{{` for a brace); the template must expand to something with an empty title.
 */
export function parseProcTitleTemplate(value: string): string {
  const invalid = new ConfigError('template format is invalid or contains unknown variables');
  let expandsToSomething = false;
  for (let p = 0; p < value.length; ) {
    const open = value.indexOf('{', p);
    if (open < 0) {
      expandsToSomething = true;
      break;
    }
    if (open > p) expandsToSomething = true;
    if (open + 1 === value.length) throw invalid;
    if (value[open + 1] === '{') {
      expandsToSomething = true;
      p = open + 2;
      continue;
    }
    const close = value.indexOf('}', open + 1);
    const variable = value.slice(open + 1, close);
    if (close < 0 || !TITLE_VARIABLES.has(variable)) throw invalid;
    if (!EMPTY_TITLE_VARIABLES.has(variable)) expandsToSomething = true;
    p = close + 1;
  }
  if (!expandsToSomething) throw invalid;
  return value;
}

/** `cluster-announce-hostname`: letters, digits, hyphens and dots only (or nothing). */
export function parseHostname(value: string): string {
  if (!/^[A-Za-z0-9.-]*$/.test(value)) throw new ConfigError('Hostnames may only contain alphanumeric characters, hyphens or dots');
  return value;
}

/** `unixsocketperm`: an octal mode up to 0777, kept and shown in octal as redis-server's OCTAL_CONFIG. */
export function parseOctalMode(value: string): string {
  if (!/^[0-7]+$/.test(value)) throw new ConfigError("argument couldn't be parsed into an integer");
  const mode = parseInt(value, 8);
  if (mode > 0o777) throw new ConfigError('argument must be between 0 and 511 inclusive');
  return mode.toString(8);
}

/**
 * `bind`: addresses separated by single spaces, at most 16 (redis-server's
 * CONFIG_BINDADDR_MAX). An empty word stays, and fails to bind, as in redis-server.
 */
export function parseBind(value: string): string {
  if (words(value).length > 16) throw new ConfigError('Too many bind addresses specified.');
  return value;
}

/** redis-server's replication backlog is never under 16 kB (CONFIG_REPL_BACKLOG_MIN_SIZE), and says so. */
export function clampBacklogSize(value: string): string {
  return BigInt(value) < 16384n ? '16384' : value;
}

/**
 * TLS is not implemented: turning on a TLS listener or TLS links is refused with
 * redis-server's answer when its TLS set-up fails (the other tls-* values are kept).
 */
export function refuseTls(value: string): string {
  if (value !== '0' && value !== 'no') throw new ConfigError('Unable to update TLS configuration. Check server logs.');
  return value;
}
