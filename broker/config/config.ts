/**
 * Configuration parameters with redis-server's names, parsing and CONFIG GET
 * formatting. Sources, in order: defaults, the config file (redis.conf syntax), then
 * command-line flags; CONFIG SET changes them at run time, several at once atomically.
 *
 * As in redis-server 7.0 an alias (`hash-max-ziplist-entries`) is an entry of its own
 * sharing the value of its parameter: CONFIG GET patterns list both names, and CONFIG
 * SET may set both in one call (the last one wins) without a duplicate error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { splitArgs } from '../../protocol/parser.js';
import { parseInt64 } from '../../engine/util/int64.js';
import { memtoull } from './units.js';
import { quoteRepr } from '../repr.js';
import { REDIS_VERSION } from '../version.js';
import { globMatch } from '../../engine/glob.js';
import { strerror } from '../persistence/strerror.js';

export type ParamKind = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  default: string;
  aliases?: string[];
  /** Inclusive bounds of 'int' and 'memory' values (bigint beyond 2^53, as LLONG_MAX). */
  min?: number | bigint;
  max?: number | bigint;
  values?: readonly string[];
  /**
   * The value's own syntax: for 'special' kinds it parses the raw text, for the others
   * it adjusts the already checked value (hz clamping). Gets the current value for
   * parameters set piecewise (client-output-buffer-limit); throws ConfigError.
   */
  parse?: (value: string, previous: string) => string;
  /** Cannot be changed by CONFIG SET. */
  immutable?: boolean;
  /** CONFIG SET only when `enable-protected-configs` allows it (redis-server's PROTECTED_CONFIG). */
  protected?: boolean;
  /** Takes several words in a config file line (`save 900 1 300 10`); others take exactly one. */
  multiArg?: boolean;
  /** Accepted and shown, but the feature has no meaning in this broker (params.ts). */
  noEffect?: boolean;
  /** Its value is a secret: hidden from MONITOR and SLOWLOG. */
  sensitive?: boolean;
  /** A debugging knob CONFIG GET shows by its exact name only, not by pattern (redis-server's HIDDEN_CONFIG). */
  hidden?: boolean;
  /**
   * CONFIG REWRITE's lines for the value, each `name args...` with whether to write it
   * even when the file lacks it (force); when absent the kind decides.
   */
  rewrite?: (value: string, defaultValue: string) => RewriteLine[];
  /** The text CONFIG GET shows for the value, where it differs from the value itself. */
  show?: (value: string) => string;
}

/** A config file line CONFIG REWRITE writes, and whether it must be written even if the file lacks it. */
export type RewriteLine = [line: string, force: boolean];

export class ConfigError extends Error {}

const INT_ERROR = "argument couldn't be parsed into an integer";
const MEMORY_ERROR = 'argument must be a memory value';

/** Normalized value of a parameter: booleans `yes`/`no`, sizes and ints as decimal. */
function normalize(spec: ParamSpec, raw: string, previous: string): string {
  let value: string;
  switch (spec.kind) {
    case 'bool': {
      value = raw.toLowerCase();
      if (value !== 'yes' && value !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
      break;
    }
    case 'int':
    case 'memory': {
      const n = spec.kind === 'int' ? parseInt64(raw) : memoryValue(spec, raw);
      if (n === null) throw new ConfigError(spec.kind === 'int' ? INT_ERROR : MEMORY_ERROR);
      const big = BigInt(n);
      if ((spec.min !== undefined && big < BigInt(spec.min)) || (spec.max !== undefined && big > BigInt(spec.max))) {
        throw new ConfigError(`argument must be between ${spec.min} and ${spec.max} inclusive`);
      }
      value = String(n);
      break;
    }
    case 'enum': {
      value = raw.toLowerCase();
      if (!spec.values!.includes(value)) {
        throw new ConfigError(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
      }
      break;
    }
    case 'string':
    case 'special':
      value = raw;
      break;
  }
  return spec.parse !== undefined ? spec.parse(value, previous) : value;
}

/**
 * A memory value as redis-server's numeric configs read it: memtoull's unsigned result,
 * seen as signed (above 2^63-1 it is negative, so out of range) unless the parameter
 * is an unsigned long long (its maximum is 2^64-1).
 */
function memoryValue(spec: ParamSpec, raw: string): bigint | null {
  const n = memtoull(raw);
  if (n === null) return null;
  const unsigned = spec.max !== undefined && BigInt(spec.max) > 9223372036854775807n;
  return unsigned || n <= 9223372036854775807n ? n : n - 18446744073709551616n;
}

export type ChangeListener = (name: string, value: string) => string | void;

export class Config {
  /** Every entry by lowercase name: canonical names and aliases. */
  private readonly specs = new Map<string, ParamSpec>();
  private readonly values = new Map<string, string>();
  private readonly listeners = new Map<string, ChangeListener[]>();
  /** Absolute path of the config file loaded at startup, or '' (INFO config_file). */
  file = '';
  /** Parameters a config file or a flag set (whatever the value): the start-up report of those without effect. */
  readonly configured = new Set<string>();
  /** `rename-command <old> <new>` lines, in order, applied once the command table is built (`new` "" removes). */
  readonly renamedCommands: [from: string, to: string][] = [];

  constructor(specs: readonly ParamSpec[]) {
    for (const spec of specs) {
      this.specs.set(spec.name, spec);
      for (const alias of spec.aliases ?? []) this.specs.set(alias, spec);
      this.values.set(spec.name, normalize(spec, spec.default, ''));
    }
  }

  /** The parameter an entry name (canonical or alias, any case) refers to. */
  spec(name: string): ParamSpec | undefined {
    return this.specs.get(name.toLowerCase());
  }

  get(name: string): string {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`unknown config parameter ${name}`);
    return this.values.get(spec.name)!;
  }

  /** The value as CONFIG GET shows it (see `ParamSpec.show`). */
  shown(name: string): string {
    const spec = this.specs.get(name)!;
    const value = this.values.get(spec.name)!;
    return spec.show !== undefined ? spec.show(value) : value;
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Calls `listener` whenever `name` changes at run time; it may refuse the change. */
  onChange(name: string, listener: ChangeListener): void {
    const canonical = this.specs.get(name)!.name;
    const list = this.listeners.get(canonical);
    if (list === undefined) this.listeners.set(canonical, [listener]);
    else list.push(listener);
  }

  /**
   * A value the broker itself changed (REPLICAOF sets `replicaof`): no checks, no
   * listeners, immutable or not; CONFIG GET and REWRITE show it.
   */
  assign(name: string, value: string): void {
    this.values.set(this.specs.get(name)!.name, value);
  }

  /** Changes one parameter at run time, as CONFIG SET would (listeners run, errors in its words). */
  set(name: string, value: string): void {
    this.setMany([[name, value]], true);
  }

  /**
   * CONFIG SET with one or more name/value pairs, all or none, with redis-server's
   * checks in its order: unknown names, then immutable/protected ones and duplicates,
   * then each value's syntax, then the listeners. On failure every value is restored
   * and ConfigError carries the reply text (without the leading `ERR `).
   */
  setMany(pairs: readonly (readonly [string, string])[], allowProtected: boolean): void {
    const unknown = pairs.find(([name]) => this.spec(name) === undefined);
    if (unknown !== undefined) {
      throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${unknown[0]}'`);
    }
    const failed = (entry: string, reason: string): ConfigError =>
      new ConfigError(`CONFIG SET failed (possibly related to argument '${entry}') - ${reason}`);
    const seen = new Set<string>();
    for (const [name] of pairs) {
      const spec = this.spec(name)!;
      if (spec.immutable) throw failed(name, "can't set immutable config");
      if (spec.protected && !allowProtected) throw failed(name, "can't set protected config");
      // Aliases are entries of their own: only the same entry twice is a duplicate.
      if (seen.has(name.toLowerCase())) throw failed(name, 'duplicate parameter');
      seen.add(name.toLowerCase());
    }
    const backup = new Map<ParamSpec, string>();
    const restore = (): void => {
      for (const [spec, value] of backup) this.values.set(spec.name, value);
    };
    for (const [name, raw] of pairs) {
      const spec = this.spec(name)!;
      const previous = this.values.get(spec.name)!;
      if (!backup.has(spec)) backup.set(spec, previous);
      try {
        this.values.set(spec.name, normalize(spec, raw, previous));
      } catch (err) {
        restore();
        throw failed(name.toLowerCase(), (err as Error).message);
      }
    }
    const applied: ParamSpec[] = [];
    for (const [name] of pairs) {
      const spec = this.spec(name)!;
      if (applied.includes(spec)) continue;
      applied.push(spec);
      const refusal = this.notify(spec);
      if (refusal !== undefined) {
        restore();
        // Listeners that accepted the new values now see the old ones again.
        for (const s of applied) if (s !== spec) this.notify(s);
        throw failed(name.toLowerCase(), refusal);
      }
    }
  }

  /** Runs the listeners of a changed parameter; the first refusal, if any. */
  private notify(spec: ParamSpec): string | undefined {
    const value = this.values.get(spec.name)!;
    for (const listener of this.listeners.get(spec.name) ?? []) {
      const refusal = listener(spec.name, value);
      if (typeof refusal === 'string') return refusal;
    }
    return undefined;
  }

  /** Every entry name, canonical names and aliases, for CONFIG GET pattern matching (hidden ones left out). */
  names(): string[] {
    return [...this.specs].filter(([, spec]) => spec.hidden !== true).map(([name]) => name);
  }

  /** Every parameter once, in definition order, with its current and default values. */
  parameters(): { spec: ParamSpec; value: string; defaultValue: string }[] {
    return [...this.values.entries()].map(([name, value]) => {
      const spec = this.specs.get(name)!;
      return { spec, value, defaultValue: normalize(spec, spec.default, '') };
    });
  }

  /** Applies a redis.conf-style file. */
  loadFile(file: string): void {
    this.loadText(readConfigFile(file));
    this.file = path.resolve(file);
  }

  /**
   * Applies command-line arguments as redis-server does: an optional config file
   * first, `-` (first or last) for config text on standard input, then `--name value...`
   * flags, which become config lines of their own after the file's and stdin's (so error
   * line numbers count from the file's start).
   */
  loadArgs(argv: readonly string[], readStdin: () => string = () => readFileSync(0, 'latin1')): void {
    let text = '';
    let i = 0;
    if (argv.length > 0 && !argv[0].startsWith('-')) {
      text = readConfigFile(argv[0]);
      this.file = path.resolve(argv[0]);
      i = 1;
    }
    let options = '';
    let fromStdin = false;
    for (; i < argv.length; i++) {
      if (argv[i] === '-' && (i === 0 || i === argv.length - 1)) {
        fromStdin = true;
      } else if (argv[i].startsWith('--')) {
        if (options !== '') options += '\n';
        options += argv[i].slice(2) + ' ';
        // `--save` alone means no snapshots.
        if (argv[i] === '--save' && (i + 1 === argv.length || argv[i + 1].startsWith('--'))) options += '"" ';
      } else {
        options += quoteRepr(argv[i]) + ' ';
      }
    }
    if (fromStdin) text += readStdin();
    if (options !== '') text += '\n' + options;
    this.loadText(text);
  }

  /** Config lines: `name value...`, `#` comments; the first bad line stops with redis-server's report. */
  private loadText(text: string): void {
    text.split('\n').forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const fail = (reason: string): ConfigError =>
        new ConfigError(
          `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n` +
            `Reading the configuration file, at line ${i + 1}\n>>> '${trimmed}'\n${reason}`,
        );
      const args = splitArgs(trimmed);
      if (args === null) throw fail('Unbalanced quotes in configuration line');
      if (args.length === 0) return;
      const spec = this.spec(args[0]);
      if (spec === undefined) {
        const refusal = this.directive(args);
        if (refusal !== null) throw fail(refusal);
        return;
      }
      if (!spec.multiArg && args.length !== 2) throw fail('wrong number of arguments');
      try {
        this.values.set(spec.name, normalize(spec, args.slice(1).join(' '), this.values.get(spec.name)!));
      } catch (err) {
        throw fail((err as Error).message);
      }
      this.configured.add(spec.name);
    });
  }

  /**
   * The config file lines that are not parameters (redis-server's loadServerConfigFromString):
   * `include`, `rename-command`, the deprecated ones it skips; why a line is refused, or null.
   */
  private directive(args: string[]): string | null {
    const name = args[0].toLowerCase();
    if (DEPRECATED.has(name) && args.length === 2) return null;
    if (name === 'include' && args.length === 2) {
      for (const file of includedFiles(args[1])) this.loadText(readConfigFile(file));
      return null;
    }
    if (name === 'rename-command' && args.length === 3) {
      this.renamedCommands.push([args[1], args[2]]);
      return null;
    }
    if (name === 'user' && args.length >= 2) return 'ACL users are not supported by this broker: use requirepass';
    if (name === 'loadmodule' && args.length >= 2) return 'Modules are not supported by this broker';
    if (name === 'sentinel') return 'sentinel directive while not in sentinel mode';
    return 'Bad directive or wrong number of arguments';
  }
}

/** Directives redis-server 7.0 still reads and ignores (with one argument). */
const DEPRECATED = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);

/**
 * The files an `include` names: the path itself, or with wildcards every match in
 * name order (none is fine, so that an empty conf.d may be included), as redis-server's glob.
 */
function includedFiles(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = path.dirname(pattern);
  if (/[*?[]/.test(dir)) throw new ConfigError(`Fatal error, can't open config file '${pattern}': wildcards are supported in the file name only`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const base = path.basename(pattern);
  return names
    .filter((n) => !n.startsWith('.') && globMatch(base, n))
    .sort()
    .map((n) => path.join(dir, n));
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch (err) {
    throw new ConfigError(`Fatal error, can't open config file '${file}': ${strerror(err)}`);
  }
}
