/**
 * Key positions of a command line from its key specs, as redis-server 7.0's
 * getKeysUsingKeySpecs, with its getkeys procedures for the commands whose specs
 * cannot say (SORT's STORE, MIGRATE's KEYS) or whose flags depend on the arguments
 * (SET with GET, BITFIELD). Used by COMMAND GETKEYS and GETKEYSANDFLAGS.
 */
import type { Command } from '../../engine/command.js';
import type { Client } from '../../engine/client.js';
import type { RespValue } from '../../protocol/reply.js';

export interface KeyRef {
  /** Index in argv. */
  pos: number;
  /** Key spec flags (RO, RW, access, ...) in redis-server's order. */
  flags: readonly string[];
}

type SpecMap = { map: [RespValue, RespValue][] };

interface KeySpec {
  flags: readonly string[];
  begin: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startFrom: number } | { type: 'unknown' };
  find:
    | { type: 'range'; lastKey: number; keyStep: number; limit: number }
    | { type: 'keynum'; keyNumIdx: number; firstKey: number; keyStep: number }
    | { type: 'unknown' };
}

function field(v: RespValue, name: string): RespValue {
  const pair = (v as SpecMap).map.find(([k]) => k === name);
  return pair === undefined ? null : pair[1];
}

const num = (v: RespValue, name: string): number => field(v, name) as number;

function parseSpec(v: RespValue): KeySpec {
  const flags = ((field(v, 'flags') as { set: { simple: string }[] }).set ?? []).map((f) => f.simple);
  const bs = field(v, 'begin_search');
  const bsSpec = field(bs, 'spec');
  const fk = field(v, 'find_keys');
  const fkSpec = field(fk, 'spec');
  const begin: KeySpec['begin'] =
    field(bs, 'type') === 'index'
      ? { type: 'index', index: num(bsSpec, 'index') }
      : field(bs, 'type') === 'keyword'
        ? { type: 'keyword', keyword: field(bsSpec, 'keyword') as string, startFrom: num(bsSpec, 'startfrom') }
        : { type: 'unknown' };
  const find: KeySpec['find'] =
    field(fk, 'type') === 'range'
      ? { type: 'range', lastKey: num(fkSpec, 'lastkey'), keyStep: num(fkSpec, 'keystep'), limit: num(fkSpec, 'limit') }
      : field(fk, 'type') === 'keynum'
        ? { type: 'keynum', keyNumIdx: num(fkSpec, 'keynumidx'), firstKey: num(fkSpec, 'firstkey'), keyStep: num(fkSpec, 'keystep') }
        : { type: 'unknown' };
  return { flags, begin, find };
}

const specCache = new WeakMap<object, KeySpec[]>();

/** The parsed key specs of a command (COMMAND INFO's 9th element). */
function keySpecs<C extends Client>(command: Command<C>): KeySpec[] {
  let specs = specCache.get(command);
  if (specs === undefined) {
    const raw = (command.info as RespValue[])[8] as { set: RespValue[] } | RespValue[];
    specs = (Array.isArray(raw) ? raw : raw.set).map(parseSpec);
    specCache.set(command, specs);
  }
  return specs;
}

type GetKeysProc = (argv: readonly string[]) => KeyRef[];

const RO_ACCESS = ['RO', 'access'];
const RW_ACCESS_UPDATE = ['RW', 'access', 'update'];
const OW_UPDATE = ['OW', 'update'];
const RW_ACCESS_DELETE = ['RW', 'access', 'delete'];

/** SORT: the key, and the last STORE destination, skipping LIMIT/GET/BY arguments. */
function sortKeys(argv: readonly string[]): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }];
  let store: KeyRef | null = null;
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  for (let i = 2; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (skip[option] !== undefined) i += skip[option];
    else if (option === 'store' && i + 1 < argv.length) store = { pos: i + 1, flags: OW_UPDATE };
  }
  if (store !== null) keys.push(store);
  return keys;
}

/** MIGRATE: the key argument, or with KEYS (and an empty key argument) the keys after it. */
function migrateKeys(argv: readonly string[]): KeyRef[] {
  let first = 3;
  let count = 1;
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  for (let i = 6; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (option === 'keys') {
      if (argv[3].length > 0) return [];
      first = i + 1;
      count = argv.length - first;
      break;
    }
    if (skip[option] !== undefined) i += skip[option];
  }
  return Array.from({ length: count }, (_, i) => ({ pos: first + i, flags: RW_ACCESS_DELETE }));
}

/** SET writes its key, and reads it too with GET. */
function setKeys(argv: readonly string[]): KeyRef[] {
  const get = argv.slice(3).some((a) => a.toLowerCase() === 'get');
  return [{ pos: 1, flags: get ? RW_ACCESS_UPDATE : OW_UPDATE }];
}

/** BITFIELD only reads when every operation is a GET. */
function bitfieldKeys(argv: readonly string[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const remaining = argv.length - i - 1;
    const op = argv[i].toLowerCase();
    if (op === 'get' && remaining >= 2) i += 2;
    else if (op === 'overflow' && remaining >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }];
}

const PROCS: Record<string, GetKeysProc> = {
  sort: sortKeys,
  sort_ro: () => [{ pos: 1, flags: RO_ACCESS }],
  migrate: migrateKeys,
  set: setKeys,
  bitfield: bitfieldKeys,
};

/** Whether the command takes key arguments at all (redis-server's doesCommandHaveKeys). */
export function hasKeys<C extends Client>(command: Command<C>): boolean {
  return PROCS[command.fullname] !== undefined || keySpecs(command).some((s) => !s.flags.includes('not_key'));
}

/**
 * The keys of `argv` (a command line that passed the arity check). Specs that cannot
 * be resolved (a bad key count, EVAL with 0 keys) yield none, as redis-server's
 * fallback procedures do.
 */
export function commandKeys<C extends Client>(command: Command<C>, argv: readonly string[]): KeyRef[] {
  const proc = PROCS[command.fullname];
  if (proc !== undefined) return proc(argv);
  return keysFromSpecs(keySpecs(command), argv) ?? [];
}

/** getKeysUsingKeySpecs; null where redis-server reports an invalid spec. */
function keysFromSpecs(specs: readonly KeySpec[], argv: readonly string[]): KeyRef[] | null {
  const argc = argv.length;
  const keys: KeyRef[] = [];
  for (const spec of specs) {
    if (spec.flags.includes('not_key')) continue;
    let first = 0;
    if (spec.begin.type === 'index') {
      first = spec.begin.index;
    } else if (spec.begin.type === 'keyword') {
      const { keyword, startFrom } = spec.begin;
      const start = startFrom > 0 ? startFrom : argc + startFrom;
      const end = startFrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv[i].toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }
    let last: number;
    let step: number;
    if (spec.find.type === 'range') {
      step = spec.find.keyStep;
      const { lastKey, limit } = spec.find;
      if (lastKey >= 0) last = first + lastKey;
      else if (limit === 0) last = argc + lastKey;
      else last = first + (Math.floor((argc - first) / limit) + lastKey);
    } else if (spec.find.type === 'keynum') {
      step = spec.find.keyStep;
      const at = first + spec.find.keyNumIdx;
      if (at >= argc) return null;
      if (!/^(0|-?[1-9]\d*)$/.test(argv[at])) return null;
      const count = Number(argv[at]);
      if (count < 0) return null;
      first += spec.find.firstKey;
      last = first + count - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) keys.push({ pos: i, flags: spec.flags });
  }
  return keys;
}
