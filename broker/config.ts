/**
 * Configuration parameters with redis-server's names, parsing and CONFIG GET
 * formatting. Sources, in order: defaults, the config file (redis.conf syntax), then
 * command-line flags; CONFIG SET changes them at run time.
 */
import { readFileSync } from 'node:fs';
import { splitArgs } from '../protocol/parser.js';
import { parseMemory } from './units.js';

export type ParamKind = 'bool' | 'int' | 'memory' | 'string' | 'enum';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  default: string;
  aliases?: string[];
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Cannot be changed by CONFIG SET. */
  immutable?: boolean;
}

export class ConfigError extends Error {}

/** Normalized value of a parameter: booleans `yes`/`no`, sizes and ints as decimal. */
function normalize(spec: ParamSpec, raw: string): string {
  switch (spec.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
      return v;
    }
    case 'int':
    case 'memory': {
      const n = spec.kind === 'int' ? parseStrictInt(raw) : parseMemory(raw);
      if (n === undefined) {
        throw new ConfigError(
          spec.kind === 'int'
            ? "argument couldn't be parsed into an integer"
            : 'argument must be a memory value',
        );
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ConfigError(`argument must be between ${spec.min} and ${spec.max} inclusive`);
      }
      return String(n);
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!spec.values!.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
      return v;
    }
    case 'string':
      return raw;
  }
}

function parseStrictInt(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

export type ChangeListener = (name: string, value: string) => string | void;

export class Config {
  private readonly specs = new Map<string, ParamSpec>();
  private readonly values = new Map<string, string>();
  private readonly listeners = new Map<string, ChangeListener>();

  constructor(specs: readonly ParamSpec[]) {
    for (const spec of specs) {
      this.specs.set(spec.name, spec);
      for (const alias of spec.aliases ?? []) this.specs.set(alias, spec);
      this.values.set(spec.name, normalize(spec, spec.default));
    }
  }

  spec(name: string): ParamSpec | undefined {
    return this.specs.get(name.toLowerCase());
  }

  get(name: string): string {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`unknown config parameter ${name}`);
    return this.values.get(spec.name)!;
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Calls `listener` whenever `name` changes at run time; it may refuse the change. */
  onChange(name: string, listener: ChangeListener): void {
    this.listeners.set(this.specs.get(name)!.name, listener);
  }

  /** Sets a parameter; throws ConfigError with redis-server's wording on a bad value. */
  set(name: string, raw: string, atStartup = false): void {
    const spec = this.spec(name);
    if (spec === undefined) throw new ConfigError(`Unknown option '${name}'`);
    if (spec.immutable && !atStartup) throw new ConfigError("can't set immutable config");
    const value = normalize(spec, raw);
    const previous = this.values.get(spec.name)!;
    this.values.set(spec.name, value);
    const listener = this.listeners.get(spec.name);
    if (!atStartup && listener !== undefined) {
      const refusal = listener(spec.name, value);
      if (typeof refusal === 'string') {
        this.values.set(spec.name, previous);
        throw new ConfigError(refusal);
      }
    }
  }

  /** Canonical names and values of every parameter (CONFIG GET). */
  entries(): [string, string][] {
    return [...this.values.entries()];
  }

  /** Parameter names including aliases, for CONFIG GET pattern matching. */
  names(): string[] {
    return [...this.specs.keys()];
  }

  /** Applies a redis.conf-style file: one `name value...` per line, `#` comments. */
  loadFile(path: string): void {
    const text = readFileSync(path, 'latin1');
    text.split('\n').forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const args = splitArgs(trimmed);
      if (args === null || args.length < 2) {
        throw new ConfigError(`Bad directive or wrong number of arguments at line ${i + 1} of ${path}`);
      }
      try {
        this.set(args[0], args.slice(1).join(' '), true);
      } catch (err) {
        throw new ConfigError(`${(err as Error).message} at line ${i + 1} of ${path}: '${trimmed}'`);
      }
    });
  }

  /**
   * Applies command-line arguments: an optional config file path first, then
   * `--name value...` pairs, as redis-server accepts them.
   */
  loadArgs(argv: readonly string[]): void {
    let i = 0;
    if (argv.length > 0 && !argv[0].startsWith('--')) {
      this.loadFile(argv[0]);
      i = 1;
    }
    while (i < argv.length) {
      const flag = argv[i];
      if (!flag.startsWith('--')) throw new ConfigError(`Unexpected argument '${flag}'`);
      const values: string[] = [];
      i++;
      while (i < argv.length && !argv[i].startsWith('--')) values.push(argv[i++]);
      this.set(flag.slice(2), values.join(' '), true);
    }
  }
}
