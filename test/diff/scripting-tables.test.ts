/**
 * The order of `pairs`/`next` over a table, against redis-server's Lua 5.1: scripts
 * (fast-check, seeded) that build a table by setting and deleting keys (strings of
 * many lengths, numbers whole and fractional, booleans), grow it past several rehashes,
 * delete keys while traversing it (with `pairs` and with `next`), mix its array and
 * hash parts, and return its keys and values in `pairs` order with its length; and
 * tables made by the libraries (cjson, cmsgpack, RESP3 replies), whose order depends
 * on how they grew. Replies compared byte for byte (lua.ts, TABLE_51).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

/** A Lua string literal of printable characters (no quote or backslash). */
const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_-.:'), maxLength: 40 }).map((s) => `'${s}'`);
const stringKey = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 60 }).map((n) => `'k${n}'`) },
  { weight: 2, arbitrary: word },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 9 })).map(([n, d]) => `string.rep('ab', ${n}) .. '${d}'`) },
  { weight: 1, arbitrary: fc.constantFrom("'\\0'", "'a\\0b'", "'\\255\\254'", "'\\1\\2\\3\\4'", "''") },
);
const numberKey = fc.constantFrom('1', '2', '3', '4', '5', '8', '9', '16', '17', '33', '100', '1000', '-1', '0', '-0', '0.5', '1.5', '-2.25', '1/3', '1e10', '1e-5', '2^31', '2^32', '2^53', '-2^31', '65536', '1/0', '-1/0');
const key = fc.oneof({ weight: 4, arbitrary: stringKey }, { weight: 2, arbitrary: numberKey }, { weight: 1, arbitrary: fc.constantFrom('true', 'false') });

const constructor = fc.constantFrom('{}', '{1, 2, 3}', '{x = 1, y = 2}', '{1, nil, 3, a = 1}', '{[1] = 1, [2] = 2, z = 0}', "{'a', 'b', c = 3, d = 4, 5}", '{n = 0, [10] = 10, [0.5] = 1}');

const statement = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 99 })).map(([k, v]) => `t[${k}] = ${v}`) },
  { weight: 2, arbitrary: key.map((k) => `t[${k}] = nil`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("'f'", "'field:'", "'x'", "string.rep('z', 40)"), fc.integer({ min: 1, max: 40 })).map(([p, n]) => `for j = 1, ${n} do t[${p} .. j] = j end`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('1', '2', '3', '7', '0.5', '-1', '1000'), fc.integer({ min: 1, max: 40 })).map(([m, n]) => `for j = 1, ${n} do t[j * ${m}] = j end`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((n) => `for j = 1, ${n} do t[#t + 1] = j end`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }).map((n) => `for j = 1, ${n} do t['f' .. j] = nil end`) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("type(k) == 'string' and #k % 2 == 0", "type(k) == 'number'", 'type(v) == "number" and v % 3 == 0', 'true')
      .map((cond) => `for k, v in pairs(t) do if ${cond} then t[k] = nil end end`),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("type(k) == 'string'", "type(k) ~= 'string'", 'true')
      .map((cond) => `do local k = next(t) while k ~= nil do local nk = next(t, k) if ${cond} then t[k] = nil end k = nk end end`),
  },
  // Deleted keys set again (a deleted key keeps its node until a rehash).
  { weight: 1, arbitrary: fc.constant("do local ks = {} for k in pairs(t) do ks[#ks + 1] = k end for _, k in ipairs(ks) do t[k] = nil end for i = #ks, 1, -2 do t[ks[i]] = i end end") },
);

const script = fc.tuple(constructor, fc.array(statement, { minLength: 1, maxLength: 25 })).map(([init, body]) =>
  [`local t = ${init}`, ...body, 'local r = {#t} for k, v in pairs(t) do r[#r + 1] = tostring(k) r[#r + 1] = tostring(v) end return r'].join('\n'),
);

/** A script returning, for n = 1..count, the order `pairs` gives over a table built by `build` (a Lua expression of `o`, the table of n keys set in a loop). */
function ordersOf(build: string, count: number, keyExpr = "'key' .. (i * 7919 % 1000)"): string {
  return `local r = {}
for n = 1, ${count} do
  local o = {}
  for i = 1, n do o[${keyExpr}] = i end
  local t = ${build}
  local s = ''
  for k, v in pairs(t) do s = s .. tostring(k) .. '=' .. tostring(v) .. ',' end
  r[#r + 1] = s
end
return r`;
}

describe.skipIf(!hasRedisServer())('table order vs redis-server', () => {
  const { p } = diffSuite();

  it('gives the same pairs order to 600 random scripts of sets, deletes, growth and traversal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 10, maxLength: 10 }), async (scripts) => {
        await p.samePipeline(scripts.map((s) => ['EVAL', s, '0']));
      }),
      { numRuns: 60, seed: 0x51 },
    );
  });

  it('orders tables the libraries and command replies make as redis-server does', async () => {
    await p.samePipeline([
      ['EVAL', ordersOf('o', 70), '0'],
      ['EVAL', ordersOf('cjson.decode(cjson.encode(o))', 70), '0'],
      ['EVAL', ordersOf('cmsgpack.unpack(cmsgpack.pack(o))', 70), '0'],
      ['EVAL', ordersOf('o', 40, 'i * 1.25'), '0'],
      ['EVAL', ordersOf('o', 40, "string.rep('-', i * 3) .. i"), '0'],
      ['EVAL', "local o = {} for i = 1, 30 do o['field' .. i] = i end return cjson.encode(o)", '0'],
      ['EVAL', 'return {#cmsgpack.unpack(string.char(0x93, 0xc0, 0xc0, 3)), #cjson.decode("[null, null, 3]"), #cmsgpack.unpack(string.char(0x94, 1, 0xc0, 3, 0xc0))}', '0'],
      // Replies in the same order on both (a small hash, an intset): the tables they make are what is compared.
      ['DEL', 'h', 's'],
      ['EVAL', "for i = 1, 40 do redis.call('HSET', 'h', 'f' .. i, i) redis.call('SADD', 's', i) end return 1", '0'],
      [
        'EVAL',
        "redis.setresp(3) local r = {} for _, t in ipairs({redis.call('HGETALL', 'h').map, redis.call('SMEMBERS', 's').set}) do local s = '' for k, v in pairs(t) do s = s .. k .. '=' .. tostring(v) .. ',' end r[#r + 1] = s end return r",
        '0',
      ],
      ['EVAL', "local t = redis.call('HGETALL', 'h') t.x = 1 t[90] = 2 t.y = 3 local r = {} for k in pairs(t) do r[#r + 1] = tostring(k) end return r", '0'],
      ['EVAL', "KEYS.extra = 1 KEYS[7] = 'x' local r = {} for k, v in pairs(KEYS) do r[#r + 1] = tostring(k) .. '=' .. v end return r", '3', 'a', 'b', 'c'],
      // 5.1's luaV_settable makes the key's node before it calls __newindex.
      [
        'EVAL',
        "local store = {} local t = setmetatable({}, {__newindex = function(_, k, v) store[k] = v end}) for i = 1, 10 do t['a' .. i] = i end for i = 1, 6 do rawset(t, 'b' .. i, i) end local r = {} for k in pairs(t) do r[#r + 1] = k end return r",
        '0',
      ],
      ['EVAL', "local t = {a = 1, b = 2} t.a = nil return {pcall(next, t, 'zz')}", '0'],
    ]);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
