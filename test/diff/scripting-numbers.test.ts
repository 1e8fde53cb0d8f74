/**
 * Library calls given numbers where Lua 5.1 expects an integer, against redis-server's
 * Lua: beyond 32 bits, beyond 2^53 and 2^63, negative, fractional, infinite and NaN.
 * Each call runs in a pcall; the script returns its result (type and tostring) or its
 * error text, so a difference in value or in error shows (lua.ts, LUA51).
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const big = ['2^31', '2^31-1', '-2^31', '-2^31-1', '2^32', '2^32+1', '-2^32-1', '2^40+3', '2^53', '2^53+2', '2^63', '-2^63', '2^64+4096', '1e300', '-1e300', '1/0', '-1/0', '0/0', '1.5', '-1.5', '2.9', '-0.5', "'3.7'", "'1e10'"];

/** table.insert at a position that 5.1 reads as -2^31 moves 2^31 elements (redis-server stalls). */
/** string.rep's counts that 5.1 reads as a small int (its count is a C int: 2^32 + 1 is 1, -2^31 - 1 is 2^31 - 1). */
const repCounts = big.filter((n) => n !== '2^31-1' && n !== '-2^31-1' && n !== "'1e10'");

const calls: string[] = [
  ...repCounts.map((n) => `string.rep('ab', ${n})`),
  ...big.flatMap((n) => [
    `string.sub('hello world', ${n})`,
    `string.sub('hello world', 2, ${n})`,
    `string.sub('hello world', -(${n}))`,
    `string.byte('hello', ${n})`,
    `string.byte('hello', 1, ${n})`,
    `string.char(${n})`,
    `string.format('%d', ${n})`,
    `string.format('%5.3d', ${n})`,
    `string.format('%x', ${n})`,
    `string.format('%X', ${n})`,
    `string.format('%o', ${n})`,
    `string.format('%u', ${n})`,
    `string.format('%i', ${n})`,
    `string.format('%c', ${n})`,
    `string.find('hello', 'l', ${n})`,
    `string.gsub('aaa', 'a', 'b', ${n})`,
    `table.concat({1, 2, 3}, ',', ${n})`,
    `table.concat({1, 2, 3}, ',', 1, ${n})`,
    ...(n === '2^31' || n === '-2^31' ? [] : [`(function() local t = {1, 2, 3} table.insert(t, ${n}, 9) return table.concat(t, ',') end)()`]),
    `(function() local t = {1, 2, 3} local r = table.remove(t, ${n}) return tostring(r) .. ':' .. table.concat(t, ',') end)()`,
    `select(${n}, 'a', 'b', 'c')`,
    `select('#', unpack({1, 2, 3}, ${n}, 2))`,
    `select('#', unpack({1, 2, 3}, 1, ${n}))`,
    `tostring(${n})`,
    // redis-server's 0/0 is a NaN with its sign bit set ("-nan"), and -(0/0) or math.abs of
    // it print "nan"; JavaScript keeps no NaN's sign, so every NaN prints "-nan" (README).
    ...(n === '0/0' ? [] : [`tostring(-(${n}))`, `math.abs(${n})`]),
    `math.floor(${n})`,
    `math.ceil(${n})`,
    `math.fmod(${n}, 7)`,
    `math.fmod(7, ${n})`,
    `math.ldexp(1, ${n})`,
    `${n} % 7`,
    `tonumber('10', ${n})`,
    `bit.tobit(${n})`,
    `bit.band(${n}, 0xffffffff)`,
    `bit.bor(${n}, 1)`,
    `bit.bnot(${n})`,
    `bit.lshift(1, ${n})`,
    `bit.rshift(${n}, 1)`,
    `bit.arshift(${n}, 1)`,
    `bit.rol(${n}, 1)`,
    `bit.tohex(${n})`,
    `bit.tohex(255, ${n})`,
    `bit.bswap(${n})`,
    `struct.pack('>i', ${n})`,
    `struct.pack('>I', ${n})`,
    `struct.pack('>l', ${n})`,
    `struct.pack('>L', ${n})`,
    `struct.pack('>b', ${n})`,
    `struct.pack('>B', ${n})`,
    `struct.pack('>h', ${n})`,
    `struct.pack('>i3', ${n})`,
    `struct.pack('>d', ${n})`,
    `struct.pack('>c' .. 2, 'abc')`,
    `struct.unpack('>i', struct.pack('>i', 5), ${n})`,
    `cmsgpack.pack(${n})`,
    `cmsgpack.pack(-(${n}))`,
    `cmsgpack.unpack(cmsgpack.pack(${n}))`,
    `cjson.encode(${n})`,
    `cjson.encode({${n}})`,
    `redis.call('SET', 'n', ${n})`,
    `redis.call('INCRBY', 'n', ${n})`,
    `(function() return {${n}} end)()[1]`,
  ]),
  `struct.unpack('>l', '\\255\\255\\255\\255\\255\\255\\255\\255')`,
  `struct.unpack('>L', '\\255\\255\\255\\255\\255\\255\\255\\255')`,
  `struct.unpack('>L', '\\127\\255\\255\\255\\255\\255\\255\\255')`,
  `struct.unpack('>I', '\\255\\255\\255\\255')`,
  `cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')`,
  `cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0')`,
  `cmsgpack.unpack('\\206\\255\\255\\255\\255')`,
  `cmsgpack.unpack('\\210\\128\\0\\0\\0')`,
  `math.random(2^31)`,
  `math.random(2^32 + 1, 2^32 + 1)`,
  `math.random(0)`,
  `math.max(2^53, 2^53 + 1)`,
  `string.format('%.0f', 2^63)`,
  `string.format('%g', 2^53 + 1)`,
  `2^53 + 1`,
  `9007199254740993`,
  `0x7fffffffffffffff`,
  `tonumber('0x100000000')`,
  `tonumber('9007199254740993')`,
  `tonumber('ff', 16)`,
  `tonumber('zzzzzzzzzz', 36)`,
  `tonumber('1', 1)`,
  `tonumber('1', 37)`,
  `tonumber(' -ff ', 16)`,
  `tonumber('0x1F', 16)`,
  `tonumber('0x', 16)`,
  `tonumber('0x10', 10)`,
  `tonumber(1010, 2)`,
  `tonumber('99999999999999999999999', 10)`,
  `tonumber('99999999999999999999999', 11)`,
  `tonumber('-1', 8)`,
  `tonumber('1 1', 8)`,
  `tonumber('', 8)`,
];

function probe(expr: string): string {
  return `local ok, r, r2 = pcall(function() return ${expr} end)
if not ok then return {'error', tostring(r)} end
if type(r) == 'table' then r = r.ok or r.err or #r end
if type(r) == 'string' then r = string.gsub(r, '[^%w%p ]', function(c) return string.format('\\\\%03d', string.byte(c)) end) end
return {type(r), tostring(r), tostring(r2)}`;
}

describe.skipIf(!hasRedisServer())('library integer arguments vs redis-server', () => {
  const { p } = diffSuite();

  it(`gives the same result or error to ${calls.length} calls with large, negative and fractional numbers`, async () => {
    const diffs: string[] = [];
    for (let i = 0; i < calls.length; i += 50) {
      diffs.push(...(await p.differences(calls.slice(i, i + 50).map((c) => ['EVAL', probe(c), '0']))));
    }
    expect(diffs.map((d) => d.replace(/reply to \["EVAL","local ok, r, r2 = pcall\(function\(\) return (.*?) end\)\\n[^]*?"0"\]/, '$1'))).toEqual([]);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
