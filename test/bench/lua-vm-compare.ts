#!/usr/bin/env node
/**
 * Benchmark: the two kinds of Lua VM the npm registry offers, on the BullMQ-sized
 * add-job script (script-workloads.ts), in-process: CPU time per call (process.cpuUsage,
 * garbage collection included), no sockets.
 *
 * - fengari (Lua 5.3 in JavaScript, the one the broker runs): EVALSHA through the
 *   engine's own command, as a client's EVALSHA runs minus the network.
 * - wasmoon (Lua 5.4 compiled to WebAssembly): driven through its raw C API exports
 *   (`_lua_pushlstring` on bytes written into the WebAssembly memory, a JavaScript
 *   function registered with `addFunction` as `redis.call`), not its proxy layer, which
 *   converts every string as UTF-8: the fastest way a broker could use it. Its
 *   `redis.call` runs the same engine commands and parses their replies onto the Lua
 *   stack as convert.ts does.
 *
 * A first row runs the script's ten commands from JavaScript: the part no VM saves.
 * wasmoon has neither cjson nor cmsgpack, so both VMs also run the script with those
 * two calls replaced by the values they return (the "reduced" rows): the comparison
 * that counts is on that one.
 *
 *   npm install --no-save wasmoon@1.16.0 && npm run build && node dist/test/bench/lua-vm-compare.js [calls]
 *   (or wasmoon installed elsewhere: WASMOON=/path/to/node_modules/wasmoon/dist/index.js)
 */
import { Client } from '../../engine/client.js';
import { CommandTable, type Command } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import { Engine } from '../../engine/engine.js';
import { Scripting } from '../../engine/scripting/scripting.js';
import { scriptingCommands } from '../../engine/scripting/commands.js';
import { SCRIPT_CASES } from './script-workloads.js';

const CALLS = Number(process.argv[2] ?? 20_000);
const ROUNDS = 5;

const BULLMQ = SCRIPT_CASES.find((c) => c.name === 'evalsha_bullmq')!;
const KEYS = BULLMQ.args.slice(1, 1 + Number(BULLMQ.args[0]));
const PACKED_OPTS = Buffer.from([0x83, 0xa8, 0x61, 0x74, 0x74, 0x65, 0x6d, 0x70, 0x74, 0x73, 0x03, 0xa5, 0x64, 0x65, 0x6c, 0x61, 0x79, 0x00, 0xa4, 0x6c, 0x69, 0x66, 0x6f, 0xc2]);
const REDUCED = BULLMQ.script
  .replace("cmsgpack.unpack(redis.call('GET', KEYS[5]))", "(function() redis.call('GET', KEYS[5]) return {attempts = 3, delay = 0, lifo = false} end)()")
  .replace('cjson.encode(opts)', `'{"attempts":3,"delay":0,"lifo":false}'`);

/** An engine with its commands, and a way to run one and read its reply. */
class Host {
  readonly engine = new Engine({ databases: 16 });
  readonly table = new CommandTable<Client>();
  readonly client = new Client(this.engine, 1);
  readonly scripting = new Scripting<Client>(this.engine, {
    lookup: (argv) => this.table.lookup(argv),
    execute: (c, command, argv) => this.engine.call(c, command, argv),
    log: () => {},
    busyThresholdMs: () => 0,
    outOfMemory: () => false,
  });

  constructor() {
    this.table.register(engineCommands);
    this.table.register(scriptingCommands(this.scripting));
    this.run(['SET', 'bench:q:opts', PACKED_OPTS.latin1Slice()]);
  }

  command(argv: string[]): Command<Client> {
    const found = this.table.lookup(argv);
    if (found.error !== undefined) throw new Error(found.error);
    return found.command;
  }

  run(argv: string[]): Buffer {
    this.engine.call(this.client, this.command(argv), argv);
    return Buffer.concat(this.client.reply.take());
  }
}

function argsOf(i: number): string[] {
  return ['job', `payload:${i}`, '1700000000000'];
}

/** CPU microseconds per call of `call`, the median of ROUNDS rounds of CALLS calls (after one to warm up). */
function cpuPerCall(call: (i: number) => void): number {
  const rounds: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) call(i);
    const used = process.cpuUsage(before);
    if (round > 0) rounds.push((used.user + used.system) / CALLS);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
}

/** The script's commands alone, run from JavaScript: what neither VM can save. */
function commandsAlone(): number {
  const host = new Host();
  return cpuPerCall((i) => {
    host.run(['GET', 'bench:q:opts']);
    host.run(['HGET', 'bench:q:meta', 'opts.maxLenEvents']);
    const id = host.run(['INCR', 'bench:q:id']).latin1Slice(1).split('\r')[0];
    host.run(['EXISTS', `bench:q:${id}`]);
    const opts = '{"attempts":3,"delay":0,"lifo":false}';
    host.run(['HMSET', `bench:q:${id}`, 'name', 'job', 'data', `payload:${i}`, 'opts', opts, 'timestamp', '1700000000000', 'delay', '0', 'priority', '0', 'atm', '3']);
    host.run(['XADD', 'bench:q:events', 'MAXLEN', '~', '10000', '*', 'event', 'added', 'jobId', id, 'name', 'job']);
    host.run(['HEXISTS', 'bench:q:meta', 'paused']);
    host.run(['LPUSH', 'bench:q:wait', id]);
    host.run(['LLEN', 'bench:q:wait']);
    host.run(['XADD', 'bench:q:events', 'MAXLEN', '~', '10000', '*', 'event', 'waiting', 'jobId', id]);
  });
}

function fengari(script: string): number {
  const host = new Host();
  const sha = host.run(['SCRIPT', 'LOAD', script]).latin1Slice().split('\r\n')[1];
  return cpuPerCall((i) => {
    const reply = host.run(['EVALSHA', sha, String(KEYS.length), ...KEYS, ...argsOf(i)]);
    if (reply[0] !== 36) throw new Error(`fengari: ${reply.latin1Slice()}`);
  });
}

/** The part of wasmoon's Emscripten module used here (its raw exports). */
interface WasmLua {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  addFunction(f: (L: number) => number, signature: string): number;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _luaL_ref(L: number, t: number): number;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushnil(L: number): void;
  _lua_pushcclosure(L: number, f: number, n: number): void;
  _lua_setglobal(L: number, name: number): void;
  _lua_setfield(L: number, idx: number, name: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
}

const LUA_REGISTRYINDEX = -1001000;

async function wasmoon(script: string): Promise<number> {
  // WASMOON names where it was installed when not in node_modules (a UMD bundle: imported as CommonJS).
  const name = process.env.WASMOON ?? 'wasmoon';
  const { LuaFactory } = (await import(name)) as { LuaFactory: new () => { getLuaModule(): Promise<{ module: WasmLua }> } };
  const m = (await new LuaFactory().getLuaModule()).module;
  const host = new Host();
  const L = m._luaL_newstate();
  m._luaL_openlibs(L);
  let scratch = m._malloc(1 << 16);
  let scratchSize = 1 << 16;
  const lenSlot = m._malloc(8);
  /** Writes a C string (names) once; its address. */
  const cString = (s: string): number => {
    const at = m._malloc(s.length + 1);
    m.HEAPU8.set(Buffer.from(s + '\0', 'latin1'), at);
    return at;
  };
  const room = (n: number): void => {
    if (n <= scratchSize) return;
    scratchSize = n * 2;
    scratch = m._malloc(scratchSize);
  };
  const pushBytes = (S: number, bytes: Uint8Array): void => {
    room(bytes.length);
    m.HEAPU8.set(bytes, scratch);
    m._lua_pushlstring(S, scratch, bytes.length);
  };
  const pushLatin1 = (S: number, s: string): void => {
    room(s.length);
    Buffer.from(m.HEAPU8.buffer, m.HEAPU8.byteOffset + scratch, s.length).latin1Write(s);
    m._lua_pushlstring(S, scratch, s.length);
  };
  const toLatin1 = (S: number, idx: number): string => {
    const at = m._lua_tolstring(S, idx, lenSlot);
    return Buffer.from(m.HEAPU8.buffer, m.HEAPU8.byteOffset + at, m.HEAPU32[lenSlot >> 2]).latin1Slice();
  };
  /** A RESP reply onto the Lua stack (integers, bulks, statuses, nulls and arrays: what the script's commands answer). */
  const pushReply = (S: number, buf: Buffer, pos: number): number => {
    const lineEnd = buf.indexOf(13, pos + 1);
    const next = lineEnd + 2;
    const head = buf.latin1Slice(pos + 1, lineEnd);
    switch (buf[pos]) {
      case 58:
        // Lua 5.4 keeps integers apart: a float would print as "1.0" (tostring of INCR's reply).
        m._lua_pushinteger(S, BigInt(head));
        return next;
      case 43:
        m._lua_createtable(S, 0, 1);
        pushBytes(S, buf.subarray(pos + 1, lineEnd));
        m._lua_setfield(S, -2, okName);
        return next;
      case 36: {
        const len = Number(head);
        if (len < 0) {
          m._lua_pushboolean(S, 0);
          return next;
        }
        pushBytes(S, buf.subarray(next, next + len));
        return next + len + 2;
      }
      case 42: {
        const n = Number(head);
        m._lua_createtable(S, n, 0);
        let p = next;
        for (let i = 1; i <= n; i++) {
          p = pushReply(S, buf, p);
          m._lua_rawseti(S, -2, BigInt(i));
        }
        return p;
      }
      default:
        throw new Error(`reply ${buf.latin1Slice()}`);
    }
  };
  const okName = cString('ok');
  const redisCall = m.addFunction((S: number) => {
    const argc = m._lua_gettop(S);
    const argv = new Array<string>(argc);
    for (let i = 1; i <= argc; i++) {
      argv[i - 1] = m._lua_type(S, i) === 3 ? String(m._lua_tonumberx(S, i, 0)) : toLatin1(S, i);
    }
    const reply = host.run(argv);
    pushReply(S, reply, 0);
    return 1;
  }, 'ii');
  m._lua_createtable(L, 0, 2);
  m._lua_pushcclosure(L, redisCall, 0);
  m._lua_setfield(L, -2, cString('call'));
  m._lua_setglobal(L, cString('redis'));
  // Lua 5.4 has no global unpack.
  const prelude = Buffer.from('unpack = table.unpack', 'latin1');
  m.HEAPU8.set(prelude, scratch);
  m._luaL_loadbufferx(L, scratch, prelude.length, cString('=prelude'), 0);
  m._lua_pcallk(L, 0, 0, 0, 0, 0);
  const body = Buffer.from(script, 'latin1');
  const bodyAt = m._malloc(body.length);
  m.HEAPU8.set(body, bodyAt);
  if (m._luaL_loadbufferx(L, bodyAt, body.length, cString('@user_script'), 0) !== 0) throw new Error(`wasmoon: ${toLatin1(L, -1)}`);
  const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
  const [keysName, argvName] = [cString('KEYS'), cString('ARGV')];
  const pushStrings = (values: readonly string[]): void => {
    m._lua_createtable(L, values.length, 0);
    for (let i = 0; i < values.length; i++) {
      pushLatin1(L, values[i]);
      m._lua_rawseti(L, -2, BigInt(i + 1));
    }
  };
  return cpuPerCall((i) => {
    pushStrings(KEYS);
    m._lua_setglobal(L, keysName);
    pushStrings(argsOf(i));
    m._lua_setglobal(L, argvName);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
    if (m._lua_pcallk(L, 0, 1, 0, 0, 0) !== 0) throw new Error(`wasmoon: ${toLatin1(L, -1)}`);
    // The script's result as the reply's bulk string.
    host.client.reply.bulk(toLatin1(L, -1));
    host.client.reply.take();
    m._lua_settop(L, 0);
  });
}

const rows: [string, number][] = [
  ['the commands alone (no VM)', commandsAlone()],
  ['fengari, the script', fengari(BULLMQ.script)],
  ['fengari, reduced', fengari(REDUCED)],
  ['wasmoon (raw C API), reduced', await wasmoon(REDUCED)],
];
for (const [label, us] of rows) process.stdout.write(`${label.padEnd(30)} ${us.toFixed(1)} µs CPU a call (median of ${ROUNDS} x ${CALLS})\n`);
