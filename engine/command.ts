/**
 * The command table. A command is data: its name, arity, flags and key positions come
 * from `command-meta.json`, generated from a real redis-server 7.0 by
 * `scripts/gen-command-meta.mjs`, so COMMAND INFO/DOCS and the arity checks match the
 * reference exactly. Code supplies only the handler.
 */
import type { RespValue } from '../protocol/reply.js';
import type { LargeCommand } from '../protocol/parser.js';
import meta from './command-meta.json' with { type: 'json' };
import type { Client } from './client.js';
import { bytesToString, MAX_PACKED } from '../protocol/packed-string.js';
import { cString } from './util/c-string.js';
import { ARGUMENT_TOO_LONG, UNKNOWN_COMMAND, UNKNOWN_SUBCOMMAND, WRONG_ARGS } from './errors.js';

export type Handler<C extends Client> = (c: C, argv: string[]) => void;

/**
 * An argument as a command that takes values sees it: a latin1 string, or at one of
 * its value slots a long value's bytes (a bulk longer than LARGE_BULK, as the parser
 * assembled it). Those bytes are never changed: the effect of the command, which
 * carries them to the AOF after the whole EXEC, must see them as they came; a value
 * made of them (LargeString.adopt) copies them before changing in place.
 */
export type Arg = string | Buffer;

/** The handler of a command with value slots: called with plain strings too (the usual case). */
export type ValueHandler<C extends Client> = (c: C, argv: readonly Arg[]) => void;

/**
 * The arguments that are values (SET's value, MSET's every second argument...),
 * as redis-server's key specs give key positions: from `first` to `last` (negative:
 * counted from the end, -1 the last) every `step`.
 */
export interface ValueSlots {
  first: number;
  last: number;
  step: number;
}

/** A handler for a command (`get`) or a subcommand (`client|kill`); a command taking values says where. */
export type CommandDef<C extends Client> =
  | { name: string; handler: Handler<C>; values?: undefined }
  | { name: string; handler: ValueHandler<C>; values: ValueSlots };

/**
 * A command line holding long values as bytes, at the command's value slots only
 * (everything else is a string). Made by `CommandTable.admit`; rare, so the usual
 * command line stays a plain `string[]`.
 */
export class ValueCall<C extends Client> {
  constructor(
    readonly command: Command<C>,
    readonly args: readonly Arg[],
  ) {}
}

/** A command line on its way to the engine. */
export type Argv<C extends Client> = string[] | ValueCall<C>;

/**
 * Argument `i` of a value handler's argv where the command takes no value (a key,
 * an option, a number): always a string, since `CommandTable.admit` leaves bytes
 * at value slots only. Throws (an internal error for the client) if that ever breaks.
 */
export function textAt(argv: readonly Arg[], i: number): string {
  const a = argv[i];
  if (typeof a !== 'string') throw new TypeError(`argument ${i} is a value, not text`);
  return a;
}

/** The arguments of a command line, whatever its form (for effects, MONITOR, SLOWLOG). */
export function argsOf<C extends Client>(argv: Argv<C>): readonly Arg[] {
  return Array.isArray(argv) ? argv : argv.args;
}

/** Flags from the command metadata that dispatch looks at, as bits for cheap tests. */
export const enum Flag {
  Write = 1 << 0,
  ReadOnly = 1 << 1,
  DenyOom = 1 << 2,
  Admin = 1 << 3,
  PubSub = 1 << 4,
  NoScript = 1 << 5,
  Blocking = 1 << 6,
  Loading = 1 << 7,
  Stale = 1 << 8,
  SkipMonitor = 1 << 9,
  SkipSlowlog = 1 << 10,
  Fast = 1 << 11,
  NoAuth = 1 << 12,
  MayReplicate = 1 << 13,
  NoMulti = 1 << 14,
  AllowBusy = 1 << 15,
}

const FLAG_BITS: Record<string, Flag> = {
  write: Flag.Write,
  readonly: Flag.ReadOnly,
  denyoom: Flag.DenyOom,
  admin: Flag.Admin,
  pubsub: Flag.PubSub,
  noscript: Flag.NoScript,
  blocking: Flag.Blocking,
  loading: Flag.Loading,
  stale: Flag.Stale,
  skip_monitor: Flag.SkipMonitor,
  skip_slowlog: Flag.SkipSlowlog,
  fast: Flag.Fast,
  no_auth: Flag.NoAuth,
  may_replicate: Flag.MayReplicate,
  no_multi: Flag.NoMulti,
  allow_busy: Flag.AllowBusy,
};

/**
 * Flags redis-server 7.0 applies but leaves out of COMMAND INFO, so the generated
 * metadata lacks them: PUBLISH, SPUBLISH, PFCOUNT (it writes its cached count back),
 * and EVAL, EVALSHA and FCALL (unless their script's flags say otherwise) may replicate
 * (CLIENT PAUSE WRITE holds them).
 */
const HIDDEN_FLAGS: Record<string, Flag> = {
  publish: Flag.MayReplicate,
  spublish: Flag.MayReplicate,
  pfcount: Flag.MayReplicate,
  eval: Flag.MayReplicate,
  evalsha: Flag.MayReplicate,
  fcall: Flag.MayReplicate,
};

/** Per-command counters for INFO commandstats. */
export interface CommandStats {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

export class Command<C extends Client> {
  readonly stats: CommandStats = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
  handler: Handler<C> | null = null;
  /** For a command with value slots: its handler, typed to take bytes there. */
  valueHandler: ValueHandler<C> | null = null;
  values: ValueSlots | null = null;
  readonly subcommands: Map<string, Command<C>> | null;
  /**
   * For a command whose flags depend on its arguments (EVAL and FCALL take their
   * script's shebang flags: redis-server's getCommandFlags), the flags dispatch checks
   * (OOM, CLIENT PAUSE, disk errors, a read-only follower); null for all others.
   */
  flagsFor: ((argv: string[]) => number) | null = null;
  /** The views `withFlags` made, by flags. */
  private views: Map<number, Command<C>> | null = null;
  /** The command a view was made from (itself for a command of the table): what per-command tables key on. */
  original: Command<C> = this;

  constructor(
    /** `get`, or `client|kill` for a subcommand. */
    readonly fullname: string,
    readonly arity: number,
    readonly flags: number,
    readonly firstKey: number,
    readonly lastKey: number,
    readonly keyStep: number,
    readonly info: RespValue,
    readonly docs: RespValue,
    subcommands: Command<C>[],
  ) {
    this.subcommands = subcommands.length > 0 ? new Map(subcommands.map((s) => [s.fullname.split('|')[1], s])) : null;
  }

  has(flag: Flag): boolean {
    return (this.flags & flag) !== 0;
  }

  /** This command seen with other flags (same handler, stats and metadata): what `flagsFor` gives dispatch. */
  withFlags(flags: number): Command<C> {
    if (flags === this.flags) return this;
    this.views ??= new Map();
    let view = this.views.get(flags);
    if (view === undefined) {
      // A Command of its own (not a prototype view), so that dispatch sees one shape of object.
      view = new Command<C>(this.fullname, this.arity, flags, this.firstKey, this.lastKey, this.keyStep, this.info, this.docs, [...(this.subcommands?.values() ?? [])]);
      view.handler = this.handler;
      view.valueHandler = this.valueHandler;
      view.values = this.values;
      (view as { stats: CommandStats }).stats = this.stats;
      view.original = this;
      this.views.set(flags, view);
    }
    return view;
  }

  /** True when argument `i` of a command line of `argc` arguments is one of the command's values. */
  isValueSlot(i: number, argc: number): boolean {
    const v = this.values;
    if (v === null || i < v.first) return false;
    const last = v.last < 0 ? argc + v.last : v.last;
    return i <= last && (i - v.first) % v.step === 0;
  }

  /** Indices of the key arguments in argv, from first/last/step (COMMAND GETKEYS). */
  keyIndices(argc: number): number[] {
    if (this.firstKey === 0) return [];
    const last = this.lastKey < 0 ? argc + this.lastKey : this.lastKey;
    const out: number[] = [];
    for (let i = this.firstKey; i <= last && i < argc; i += this.keyStep) out.push(i);
    return out;
  }
}

interface MetaEntry {
  info: RespValue;
  docs: RespValue;
}

function buildCommand<C extends Client>(info: RespValue[], docsByName: Map<string, RespValue>): Command<C> {
  const [name, arity, flags, first, last, step, , , , subs] = info as [
    string,
    number,
    { set: { simple: string }[] },
    number,
    number,
    number,
    unknown,
    unknown,
    unknown,
    RespValue[][] | { set: [] },
  ];
  let bits = HIDDEN_FLAGS[name] ?? 0;
  for (const f of flags.set) bits |= FLAG_BITS[f.simple] ?? 0;
  // redis-server replies an empty set, not an empty array, for no subcommands.
  const children = Array.isArray(subs) ? subs.map((s) => buildCommand<C>(s, docsByName)) : [];
  return new Command<C>(name, arity, bits, first, last, step, info as RespValue, docsByName.get(name) ?? null, children);
}

function isMap(v: RespValue): v is { map: [RespValue, RespValue][] } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'map' in v;
}

/** Subcommand docs live inside their parent's docs under `subcommands`. */
function collectDocs(name: string, docs: RespValue, into: Map<string, RespValue>): void {
  into.set(name, docs);
  if (!isMap(docs)) return;
  for (const [k, v] of docs.map) {
    if (k === 'subcommands' && isMap(v)) {
      for (const [subName, subDocs] of v.map) collectDocs(subName as string, subDocs, into);
    }
  }
}

/** The outcome of looking a command line up, as redis-server's processCommand sees it. */
export type Lookup<C extends Client> =
  | { command: Command<C>; error?: undefined }
  /** `command` is set when the name was known but the arity was wrong (a rejected call). */
  | { error: string; command?: Command<C> };

export class CommandTable<C extends Client> {
  /** Commands with a handler, by lowercase name (and uppercase, to skip lowercasing). */
  private readonly byName = new Map<string, Command<C>>();
  private readonly all = new Map<string, Command<C>>();

  constructor() {
    const docs = new Map<string, RespValue>();
    const entries = meta as unknown as Record<string, MetaEntry>;
    for (const [name, e] of Object.entries(entries)) collectDocs(name, e.docs, docs);
    for (const [name, e] of Object.entries(entries)) {
      this.all.set(name, buildCommand<C>(e.info as RespValue[], docs));
    }
  }

  /** Attaches handlers; a name not known to redis-server 7.0 is a programming error. */
  register(defs: readonly CommandDef<C>[]): void {
    for (const def of defs) {
      const [parentName, subName] = def.name.split('|');
      const parent = this.all.get(parentName);
      const command = subName === undefined ? parent : parent?.subcommands?.get(subName);
      if (command === undefined) throw new Error(`no metadata for command '${def.name}'`);
      command.handler = def.handler;
      if (def.values !== undefined) {
        command.valueHandler = def.handler;
        command.values = def.values;
      }
      if (parent !== undefined) {
        this.byName.set(parentName, parent);
        this.byName.set(parentName.toUpperCase(), parent);
      }
    }
  }

  /**
   * redis.conf's `rename-command`: the command answers to `to` instead of `from` (to
   * nobody when `to` is ""). Why it cannot, as redis-server says it, or null.
   */
  rename(from: string, to: string): string | null {
    const command = this.get(from);
    if (command === undefined) return 'No such command in rename-command';
    if (to !== '' && this.get(to) !== undefined) return 'Target command name already exists';
    for (const name of [from.toLowerCase(), from.toUpperCase()]) this.byName.delete(name);
    if (to !== '') for (const name of [to.toLowerCase(), to.toUpperCase()]) this.byName.set(name, command);
    return null;
  }

  /** The implemented command (with a handler, or with implemented subcommands) by name. */
  get(name: string): Command<C> | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /** Every implemented top-level command. */
  commands(): Command<C>[] {
    return [...new Set(this.byName.values())];
  }

  /**
   * Resolves argv to a command, checking arity, with redis-server's exact errors for
   * unknown commands, unknown subcommands and wrong argument counts.
   */
  lookup(argv: string[]): Lookup<C> {
    let command = this.get(argv[0]);
    if (command === undefined) return { error: unknownCommandError(argv) };
    if (command.subcommands !== null && argv.length > 1) {
      const sub = command.subcommands.get(argv[1].toLowerCase());
      if (sub === undefined || sub.handler === null) {
        return {
          error: UNKNOWN_SUBCOMMAND(argv[0], argv[1]),
        };
      }
      command = sub;
    }
    const arity = command.arity;
    if ((arity > 0 && arity !== argv.length) || argv.length < -arity) {
      return { error: WRONG_ARGS(command.fullname), command };
    }
    return { command };
  }

  /**
   * A command line with long bulks (from the parser or an AOF): a long bulk at one of
   * the command's value slots stays bytes (not copied); any other becomes a string, as
   * every argument was before values could be bytes: latin1, or past V8's string limit
   * a packed string (protocol/packed-string.ts: a list element or a stream value of up to
   * 512 MB, as redis-server takes them), refused only when not even that can hold it. Without a long value left, the result is a plain string[] that
   * goes the usual way (arity checks and all).
   */
  admit(large: LargeCommand): string[] | ValueCall<C> | { error: string; command?: Command<C> } {
    const raw = large.args;
    const argc = raw.length;
    const name = raw[0];
    const command = typeof name === 'string' ? this.get(name) : undefined;
    let values = false;
    for (let i = 0; i < argc; i++) {
      const a = raw[i];
      if (typeof a === 'string') continue;
      if (command?.isValueSlot(i, argc) === true) values = true;
      else if (a.length > MAX_PACKED) {
        return { error: ARGUMENT_TOO_LONG(i, a.length, MAX_PACKED), command };
      }
    }
    if (!values || command === undefined) return raw.map((a) => (typeof a === 'string' ? a : bytesToString(a)));
    const arity = command.arity;
    if ((arity > 0 && arity !== argc) || argc < -arity) {
      return { error: WRONG_ARGS(command.fullname), command };
    }
    const args = raw.map((a, i) => (typeof a === 'string' || command.isValueSlot(i, argc) ? a : bytesToString(a)));
    return new ValueCall(command, args);
  }
}

function unknownCommandError(argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cString(argv[i], 128 - args.length)}' `;
  }
  return UNKNOWN_COMMAND(argv[0], args);
}
