/**
 * Scripting against redis-server, reply for reply, byte for byte: EVAL and its
 * variants, the conversion rules both ways (RESP2 and RESP3, the caller's protocol
 * and redis.setresp), the errors of every kind with their texts and positions, the
 * sandbox, the libraries scripts use, shebang flags, SCRIPT, FUNCTION and FCALL; and
 * the effects a script propagates.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { effectsAsText, type TextEffect } from '../harness/effects.js';
import { sortedFunctionList } from '../harness/function-list.js';
import { hasRedisServer } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const LIB = `#!lua name=mylib
redis.register_function('echo', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name='setter', callback=function(keys, args) return redis.call('SET', keys[1], args[1]) end, description='sets'}
redis.register_function{function_name='reader', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
redis.register_function{function_name='bad_writer', callback=function() return redis.call('SET', 'x', '1') end, flags={'no-writes'}}`;

describe.skipIf(!hasRedisServer())('scripting vs redis-server', () => {
  const { servers, p } = diffSuite();
  beforeEach(async () => {
    await p.same('FLUSHALL');
    await p.same('SCRIPT', 'FLUSH');
    await p.same('FUNCTION', 'FLUSH');
  });

  /** FUNCTION LIST compared with each library's functions in name order (redis-server lists them in its dict's order). */
  const sameList = async (...argv: string[]): Promise<void> => {
    const { ours, ref } = await p.both(...argv);
    expect(JSON.stringify(sortedFunctionList(ours.value))).toBe(JSON.stringify(sortedFunctionList(ref.value)));
  };

  const evals = async (...scripts: string[]): Promise<void> => {
    for (const script of scripts) await p.same('EVAL', script, '0');
  };

  it('Lua values to replies: numbers truncate, false is nil, arrays stop at nil, err/ok tables', async () => {
    await evals(
      'return 1',
      'return -1.9',
      'return 3.99e20',
      'return math.huge',
      'return -math.huge',
      "return 'str'",
      "return ''",
      'return true',
      'return false',
      'return nil',
      'return {}',
      "return {1, 2, 3, 'x', nil, 4}",
      'return {1.9, -2.7, true, false, {1, {2, {3}}}}',
      "return {err='My error'}",
      "return {err='-ERR dash'}",
      // The err/ok fields and array elements are read raw: a metatable's __index is not asked.
      "return setmetatable({}, {__index = function(t, k) if k == 'ok' then return 'meta' end if k == 1 then return 'one' end end})",
      "return {ok='fine'}",
      "return {ok='a\\r\\nb'}",
      "return {1, {err='nested'}, {ok='in'}}",
      "return redis.error_reply('x y')",
      "return redis.error_reply('-ERR x')",
      "return redis.status_reply('-ERR x')",
      "return {double=1.5}",
      "return {map={a=1}}",
      "return {set={a=true}}",
      "return {big_number='123456789012345678901234567890'}",
      "return {key='value'}",
      'return 0x100000000 + 1',
      'return 100000 * 100000',
      'return 2^53 + 1',
      'return 7 % 3',
      'return -7 % 3',
    );
  });

  it('Lua values to RESP3 replies (the caller speaks RESP3)', async () => {
    await p.inResp3(async () => {
      await evals(
        'return true',
        'return false',
        'return nil',
        "return {double=1.5}",
        "return {double=0.1}",
        "return {big_number='123456789012345678901234567890'}",
        "return {verbatim_string={format='txt', string='hello'}}",
        "return {1, false, true}",
      );
    });
  });

  it('replies to Lua values: RESP2 and RESP3 (redis.setresp) shapes seen from the script', async () => {
    await p.same('SET', 's', 'v');
    await p.same('HSET', 'h', 'f', '1');
    await p.same('RPUSH', 'l', 'a', 'b');
    await p.same('ZADD', 'z', '1.5', 'm');
    await evals(
      "return type(redis.call('GET', 'nokey'))",
      "return tostring(redis.call('GET', 'nokey'))",
      "return redis.call('GET', 's')",
      "return redis.call('SET', 'x', 'y')['ok']",
      "return type(redis.call('INCR', 'n'))",
      "return redis.call('LRANGE', 'l', 0, -1)",
      "return #redis.call('LRANGE', 'nokey', 0, -1)",
      "local t = redis.pcall('INCR', 's'); return t['err']",
      "redis.setresp(3); return type(redis.call('GET', 'nokey'))",
      "redis.setresp(3); local m = redis.call('HGETALL', 'h'); return m['map']['f']",
      "redis.setresp(3); local r = redis.call('ZSCORE', 'z', 'm'); return tostring(r['double'])",
      "redis.setresp(3); return redis.call('HGETALL', 'h')",
      "redis.setresp(3); return redis.call('SMEMBERS', 'nokey')",
      "redis.setresp(3); return redis.call('ZSCORE', 'z', 'm')",
      'redis.setresp(4)',
      "redis.setresp('x')",
      'redis.setresp()',
      "return redis.call('ZSCORE', 'z', 'm')",
    );
    await p.inResp3(async () => {
      await evals("redis.setresp(3); return redis.call('HGETALL', 'h')", "redis.setresp(3); return redis.call('ZSCORE', 'z', 'm')", "return redis.call('HGETALL', 'h')");
    });
  });

  it('numbers as Lua 5.1 prints them and as redis.call passes them', async () => {
    await evals(
      "return tostring(10/2) .. ' ' .. tostring(2^53) .. ' ' .. 1e20 .. ' ' .. 0.1 .. ' ' .. 1e-7 .. ' ' .. 1/3",
      "return tostring(1e15) .. ' ' .. tostring(123456789012345) .. ' ' .. tostring(-0.5) .. ' ' .. 3.14159265358979",
      "return tostring(0/0)",
      "return string.format('%d %s %5.2f', 3, 4.5, 1/3)",
      "return tonumber('0x10') .. ' ' .. tonumber('  12  ') .. ' ' .. tostring(tonumber('1e3'))",
      "return math.floor(2^40 / 3) * 1000",
      "redis.call('SET', 'k', 1.5); redis.call('SET', 'k2', 0.1 + 0.2); redis.call('SET', 'k3', 1e20); redis.call('SET', 'k4', 2^53); return redis.call('MGET', 'k', 'k2', 'k3', 'k4')",
      "redis.call('SET', 'a', 1700000000000); redis.call('SET', 'b', 0.000001); redis.call('SET', 'c', 123456.789); redis.call('SET', 'd', -1e21); redis.call('SET', 'e', 1/0); redis.call('SET', 'f', 0/0); return redis.call('MGET', 'a', 'b', 'c', 'd', 'e', 'f')",
      "return redis.call('INCRBY', 'n', 2^40)",
    );
  });

  it('KEYS and ARGV, numkeys errors, EVALSHA, SCRIPT LOAD/EXISTS/FLUSH', async () => {
    await p.same('EVAL', 'return {#KEYS, #ARGV, KEYS[1], ARGV[2]}', '2', 'a', 'b', 'c', 'd');
    await p.same('EVAL', 'return 1', '-1');
    await p.same('EVAL', 'return 1', '3', 'a');
    await p.same('EVAL', 'return 1', 'x');
    await p.same('EVAL', 'return 1', '1.5');
    await p.same('EVAL', 'return 1', '01');
    await p.same('EVAL', 'return 1', '-0');
    await p.same('EVAL', 'return 1', '9223372036854775807');
    await p.same('EVAL', 'return 1', '-9223372036854775808');
    await p.same('EVAL', 'return 1', '9223372036854775808');
    await p.same('EVAL', 'return 1');
    await p.same('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0');
    await p.same('EVALSHA', 'short', '0');
    const sha = (await p.same('SCRIPT', 'LOAD', 'return ARGV[1]')).value as string;
    await p.same('EVALSHA', sha, '0', 'hello');
    await p.same('EVALSHA', sha.toUpperCase(), '0', 'upper');
    await p.same('EVALSHA_RO', sha, '0', 'ro');
    await p.same('SCRIPT', 'EXISTS', sha, 'ffffffffffffffffffffffffffffffffffffffff', sha.toUpperCase());
    await p.same('EVAL', 'return 2', '0');
    await p.same('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    await p.same('SCRIPT', 'FLUSH', 'ASYNC');
    await p.same('SCRIPT', 'FLUSH', 'SYNC');
    await p.same('SCRIPT', 'FLUSH', 'bad');
    await p.same('SCRIPT', 'EXISTS', sha);
    await p.same('EVALSHA', sha, '0');
    await p.same('SCRIPT', 'LOAD', 'syntax error here');
    await p.same('SCRIPT', 'KILL');
    await p.same('SCRIPT', 'HELP');
    await p.same('SCRIPT', 'NOSUCH');
  });

  it('errors: runtime, compile, redis.call and redis.pcall, with positions', async () => {
    await p.same('SET', 's', 'foo');
    await evals(
      'return x',
      'x = 5',
      '_G.y = 1',
      'redis.call = 1',
      "string.foo = 'x'",
      // Readonly tables (redis-server 7.0's flag): raw writes and metatables too, the libraries' contents visible.
      "rawset(_G, 'y', 1)",
      "rawset(string, 'y', 1)",
      'setmetatable(_G, nil)',
      'setmetatable(string, {})',
      'getmetatable(_G).__index = nil',
      "local mt = getmetatable('') mt.__index = nil",
      'table.insert(string, 1)',
      "return {type(getmetatable(_G)), type(getmetatable(_G).__index), type(rawget(redis, 'call')), type(rawget(_G, 'redis')), tostring(getmetatable(cjson))}",
      "KEYS[1] = 'z' table.insert(ARGV, 'x') return {KEYS[1], #ARGV}",
      "error('boom')",
      "error('boom', 0)",
      "error('deep', 2)",
      'error(123)',
      'error(nil)',
      "error({err='XX custom'})",
      "error({err='ERR with code'})",
      "local function f() error('in f') end\nf()",
      "\n\nerror('line three')",
      "return redis.call('nosuch')",
      "return redis.call('get')",
      "return redis.pcall('get')",
      "return redis.call('set', 'a')",
      "return redis.call('incr', 's')",
      "return redis.pcall('incr', 's')",
      'return redis.call()',
      'return redis.pcall()',
      'return redis.call({})',
      "return redis.call('get', {})",
      "return redis.pcall('get', {})",
      "return redis.call('set', 'k', true)",
      "return redis.call('subscribe', 'x')",
      "return redis.call('eval', 'return 1', 0)",
      "return redis.call('multi')",
      "return redis.call('script', 'load', 'return 1')",
      "return redis.call('function', 'list')",
      "local ok, e = pcall(function() redis.call('incr', 's') end); return e['err']",
      "local ok, e = pcall(function() error('x') end); return e",
      "return redis.sha1hex()",
      "redis.log(redis.LOG_WARNING)",
      "redis.log('x', 'y')",
      'redis.set_repl(99)',
      'redis.set_repl()',
      'return redis.set_repl(redis.REPL_ALL)',
      'return redis.replicate_commands()',
    );
  });

  it('the sandbox: removed globals, libraries and their results', async () => {
    await evals(
      'return type(os)',
      'return loadfile',
      'return dofile',
      "return type(loadstring) .. type(unpack) .. type(table.getn) .. type(pcall) .. type(setmetatable)",
      'return table.getn({1, 2, 3})',
      'return {unpack({1, 2, 3})}',
      'return select(2, unpack({1, 2, 3}))',
      "return loadstring('return 1 + 1')()",
      'return redis.REDIS_VERSION',
      'return redis.REDIS_VERSION_NUM',
      "return redis.sha1hex('')",
      "return redis.sha1hex('abc')",
      "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
      "redis.log(redis.LOG_WARNING, 'from a script', 1)",
      "return cjson.encode({b = {1, 2, 3}})",
      "return cjson.encode({c = 'x/y'})",
      "return cjson.encode({'plain text', 'q\"u', 'a\\\\b', 'del\\127', 'tab\\there'})",
      "return {tostring(12), tostring(-0.5), tostring(1e15), tostring('s'), tonumber('42'), tonumber('-7'), tonumber(' 8 '), tonumber('0x10'), tonumber('12', 8)}",
      "return cjson.encode({1.5, 'two', true})",
      'return cjson.encode({})',
      "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}'); return {t.a[2], t.c, tostring(t.a[3].b == cjson.null)}",
      "return cjson.decode('[1,2,3]')",
      'return cmsgpack.pack(1, -1, 300, -300, 70000, 2^40)',
      "return cmsgpack.pack('abc', {1, 2, 3}, true, false)",
      "return cmsgpack.pack(1.5)",
      "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}))}",
      "local t = cmsgpack.unpack(cmsgpack.pack({a = 1})); return t.a",
      // unpack reads a string's text or its bytes (a reply, a literal, a number), whole, from an offset or up to a limit, as lua_cmsgpack does.
      "redis.call('SET', 'mp', cmsgpack.pack({x = 'y', n = 300})); local t = cmsgpack.unpack(redis.call('GET', 'mp')); return {t.x, t.n}",
      "return {cmsgpack.unpack(5), cmsgpack.unpack_one(cmsgpack.pack(7, 'eight', 9), 1)}",
      "return {cmsgpack.unpack_one(cmsgpack.pack(7, 'eight'), 1)}",
      "return {cmsgpack.unpack_one(cmsgpack.pack(string.rep('z', 300), {1, 2}))}",
      "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
      "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}",
      "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 0)}",
      "return {cmsgpack.unpack(''), cmsgpack.unpack_one('')}",
      "local ok, e = pcall(cmsgpack.unpack_limit, cmsgpack.pack(1, 2, 3), -1) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack_one, cmsgpack.pack(1, 2, 3), 9) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack_one) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0xa5, 0x61, 0x62)) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0xcd, 1)) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0x92, 0xc1, 0xcd)) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0xc4, 1, 65)) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0xd4, 1, 2)) return {tostring(ok), e}",
      "local ok, e = pcall(cmsgpack.unpack, string.char(0x81, 0xc0, 1)) return {tostring(ok), e}",
      "return cjson.encode({[cmsgpack.unpack(cmsgpack.pack('k\\\\1'))] = cmsgpack.unpack(cmsgpack.pack('v\\\"'))})",
      'return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 1), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2)}',
      "return {bit.tohex(255), bit.tohex(-1, 4), bit.tohex(255, -2), bit.tobit(2^32 + 5), bit.rol(1, 33), bit.bswap(0x01020304)}",
      "return struct.pack('>I2', 258)",
      "return {struct.unpack('<i4', struct.pack('<i4', -2))}",
      "return struct.size('>iH')",
      "return string.rep('ab', 3) .. string.upper('x') .. string.sub('hello', 2, -2) .. #('\\0\\255')",
      "return {string.byte('A'), string.char(72, 105), string.find('hello', 'll')}",
      "local t = {} for w in string.gmatch('a b c', '%a') do t[#t + 1] = w end return t",
      "local t = {3, 1, 2} table.sort(t) return t",
      "return table.concat({1, 2, 3}, ',')",
      'return math.max(1, 5, 3) + math.min(4, 2) + math.abs(-3)',
      "return tostring(math.floor(3.7)) .. tostring(math.ceil(3.2)) .. tostring(math.sqrt(16))",
    );
  });

  it('strings as table keys and in comparisons are their bytes (fengari keyed them by unpadded hex digits)', async () => {
    await evals(
      "local t = {} t['\\1#'] = 'a' t['\\18\\3'] = 'b' return {t['\\1#'], t['\\18\\3']}",
      "return {('\\15' < '\\16') and 1 or 0, ('a\\255' > 'a\\1') and 1 or 0, ('' < '\\0') and 1 or 0}",
      "local t = {'\\16', '\\15', 'b', 'a\\0', 'a'} table.sort(t) return t",
    );
  });

  it('KEYS, ARGV and reply strings (made from their text) as bytes, keys, operands and results', async () => {
    const binary = Buffer.from([0, 255, 13, 10, 128, 65]);
    await p.same('SET', 'bin', binary);
    const scripts = [
      'return {KEYS[1], ARGV[1], ARGV[2], #KEYS[1], #ARGV[1], #ARGV[2]}',
      "return {KEYS[1] == 'k', ARGV[1] == ARGV[1], ARGV[2] == redis.call('GET', 'bin'), ARGV[1] < ARGV[2], ARGV[2] < 'z'}",
      'local t = {[ARGV[1]] = 1} t[ARGV[2]] = 2 return {t.a, t[redis.call(\'GET\', \'bin\')], string.byte(ARGV[2], 1, -1)}',
      "return {string.sub(KEYS[1] .. ARGV[2], 2), string.upper(ARGV[1]), ARGV[1]:rep(2), tostring(ARGV[2]) .. redis.call('GET', 'bin')}",
      "return {cmsgpack.unpack(cmsgpack.pack(ARGV[2])) == ARGV[2], cjson.encode({ARGV[1]}), tonumber(ARGV[3]), redis.sha1hex(ARGV[2])}",
      "redis.call('SET', KEYS[1], ARGV[2]) return redis.call('GET', KEYS[1])",
      // Concatenations and numbers made strings (texts joined).
      "local s = '' for i = 1, 100 do s = s .. i .. ',' end return {s, #s, s:sub(1, 10), s == s .. '', string.byte(s, 3)}",
      "return {1 .. '', 1.5 .. 'x', -0.0 .. '', 1e100 .. '', (2^53) .. '', 'a' .. 'b' .. 'c' == 'abc', ARGV[2] .. KEYS[1]}",
      "local t = {} t['x' .. 1] = 5 local a = 'A\\0B' .. '\\255' return {t.x1, ('x' .. 1) < 'x2', a, #a, string.byte(a, 1, -1), cmsgpack.pack('ab' .. ARGV[2])}",
    ];
    for (const script of scripts) await p.same('EVAL', script, '1', 'k', 'a', binary, '12.5');
  });

  it('Lua 5.1 where fengari is 5.3: the coroutine library, error wording, # of constructed tables, array order', async () => {
    await evals(
      "local t = {} for _, k in ipairs({'create', 'resume', 'running', 'status', 'wrap', 'yield', 'isyieldable'}) do t[#t + 1] = type(coroutine[k]) end return t",
      "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local r1 = {coroutine.resume(co, 1)} local r2 = {coroutine.resume(co, 10)} local r3 = {coroutine.resume(co)} return {tostring(r1[1]), r1[2], tostring(r2[1]), r2[2], tostring(r3[1]), r3[2], coroutine.status(co)}",
      'return coroutine.yield(1)',
      'return coroutine.create(1)',
      'return coroutine.create(type)',
      'return coroutine.wrap()',
      'return coroutine.resume(1)',
      'return coroutine.status({})',
      'return tostring(coroutine.running())',
      "local co = coroutine.create(function() return type(coroutine.running()) end) return {coroutine.resume(co)}",
      "local f = coroutine.wrap(function() error('boom') end) f()",
      "local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) return {gen(), gen(), gen()}",
      "local co = coroutine.create(function() redis.call('SET', 'co', 'x') coroutine.yield() return redis.call('GET', 'co') end) coroutine.resume(co) return {coroutine.resume(co)}",
      // Upvalues among reused stack slots (lua.ts STACK_REUSE): closures keep their own values as the stack moves on.
      "local fs = {} for i = 1, 3 do local x = i * 10 fs[i] = function() return x end end local function g(a) local b = a + 1 local h = function() b = b + 1 return b end return h end local h1 = g(1) local h2 = g(2) tostring(1) local t = {} for i = 1, 5 do t[i] = tostring(i) .. string.rep('x', i) end return {fs[1](), fs[2](), fs[3](), h1(), h1(), h2(), t[5]}",
      "local function mk() local a, b, c = 1, 2, 3 return function() return a + b + c end end local f = mk() local x = {mk(), mk()} local y = select('#', unpack({1, 2, 3, 4, 5, 6, 7, 8})) return {f(), x[1](), y}",
      'local x; return x + 1',
      'local t = {} return t.a.b',
      'return redis.nofunc()',
      'local a; local function f() return a.x end return f()',
      "local s = 'x' return s + 1",
      "local t = {} return t .. 'x'",
      'local t = {} return t:m()',
      'return #KEYS + {}',
      'return ARGV[1].x.y',
      'local function f() return nil end return {#{nil, nil, 3}, #{1, nil, 3}, #{1, 2, nil}, #{1, 2, 3, nil}, #{f(), f(), 1, f()}, #{n = 1, nil, 2}, #{unpack({1, nil, 3})}, table.getn({nil, 2})}',
      'local x = {nil, 2} x[1] = 1 local y = {1, nil, 3} y.k = 1 local a = {1, 2, 3, 4} a[4] = nil return {#x, #y, #a}',
      "local r = {} for k in pairs({'a', 'b', 'c'}) do r[#r + 1] = k end return r",
      // 5.1's constant folding keeps a zero, so -0 and 0 share a function's constant (lua.ts LUA51).
      'return {tostring(0), tostring(-0), tostring(-0.0)}',
      'return {tostring(-0), tostring(0), tostring(0 * -1), tostring(1 / -0)}',
      'local t = {} t[-0] = 0 local r = {} for k, v in pairs(t) do r[#r + 1] = tostring(k) r[#r + 1] = tostring(v) end return r',
      'local function f() return -0 end local x = 0 return {tostring(x), tostring(f()), tostring(-x), tostring(0 / 5), tostring(-(-0))}',
      // # after keys were added: 5.1's array part, sized by its rehash (lua.ts TABLE_51).
      'local t = {} t[1] = 1 t[2] = 2 t[4] = 4 local u = {1, 2, 3} u[5] = 5 local v = {1, 2, 3} v[5] = 5 v[4] = 4 local w = {x = 1} w[1] = 1 w[3] = 3 return {#t, #u, #v, #w}',
      'local t = {} for i = 1, 10 do t[i] = i end t[5] = nil local u = {} for i = 1, 10 do u[i] = i end u[10] = nil u[9] = nil local v = {} for i = 1, 20 do v[i * 2] = i end return {#t, #u, #v}',
      'local t = {} for i = 1, 20 do t[i] = i end for i = 1, 19 do t[i] = nil end local u = {1, 2, 3, nil, 5, nil, nil, 8} local v = {n = 1, 1, 2, nil, 4} v.x = 1 v.y = 2 local w = {} w[1] = 1 w[2] = 2 w[3] = 3 w[4] = nil w[5] = 5 return {#t, #u, #v, #w}',
      "local r = {} local t = {} t[10] = 1 t[1] = 1 t[2] = 1 t[3] = 1 for k in pairs(t) do r[#r + 1] = k end local u = {x = 1, 3, 2} u[4] = 4 for k in pairs(u) do r[#r + 1] = k end return r",
      // The compiler's table of constants mixes numbers and integer keys of its own (it looped rehashing once).
      'local x = tostring(2) for i = 1, 10 do end return x',
      // 5.1's unpack, ipairs, table.getn and table.maxn: a table required, raw reads; integer arguments truncated.
      'return unpack(nil)',
      'return table.getn(nil)',
      'return table.maxn(nil)',
      'return ipairs()',
      "return {unpack({1, 2, 3}, 2.7, 3.9)}",
      'return {unpack(setmetatable({}, {__index = function(t, k) return k end}), 1, 3)}',
      'local r = {} for i, v in ipairs(setmetatable({}, {__index = function(t, k) if k < 3 then return k end end})) do r[#r + 1] = v end return #r',
      'local r = {} for i, v in ipairs({1, 2, nil, 4}) do r[#r + 1] = v end return {r, table.maxn({1, 2, [10] = 3}), ipairs({}) == ipairs({1})}',
      "return {string.rep('x', 1.5), string.format('%d', -2.5), string.sub('abcdef', 2.9, 4.2), string.char(65.7), select(1.5, 'a', 'b'), table.concat({1, 2, 3}, ',', 1.5, 2.5)}",
      'return string.char(256)',
      // string.format's floats as C's printf (lua.ts formatFloat): %f's default precision, two exponent digits, ties to even, flags and widths.
      "return {string.format('%f|%.1f|%5.2f|%e|%g|%.3g|%.0f|%.2e', 1.25, 1.25, 2.675, 1.25, 0.1, 2.5, 2.5, 1.125), string.format('%+08.3f|%-9.2e|% g|%#g|%#.0f|%G|%E|%g|%g', 3.14159, -12345.678, 1e20, 1.5, 3, 1e-10, 1/0, 100000, 1e15), string.format('%.20f|%.3g|%g|%10.4f|%010.2f|%.0e|%#.0e|%.1g|%.0f|%.0f|%e', 0.1, 1234567, 0.0001, 2.5, -3.14159, 25, 25, 0.25, 0.5, 1.5, 0)}",
      'return string.char(-1)',
      'return math.max()',
      'return math.min()',
      // string.sub slices a string's text (libs.ts withFastPaths), other values go to Lua's.
      "return {string.sub('abcdef', 2), string.sub('abcdef', -3), string.sub('abcdef', 2, -2), string.sub('abcdef', 0), string.sub('abcdef', 10), string.sub('abcdef', -100, 2), string.sub('abcdef', 3, 2), ('hello'):sub(2, 3), string.sub(12345, 2, 3), string.sub('abc', 1.9, 2.1), string.sub('a\\0b\\255', 2)}",
      "return string.sub('abc')",
      'return string.sub({}, 1)',
      'local t = {a = 1, b = 2, c = 3, d = 4} local n = 0 for k in pairs(t) do t[k] = nil n = n + 1 end local u = {1, 2, 3, 4, 5} for k in pairs(u) do u[k] = nil end return {n, next(t) == nil and 1 or 0, #u}',
      "return cjson.encode({[1] = 1, [2] = 2, [4] = 4})",
      "return cjson.encode({[1] = 1, [20] = 2})",
      'return cjson.encode({[true] = 1})',
      "return cjson.encode({'caf\\195\\169', '\\255\\254', 'a\\0b', 'x\\31y'})",
      'return cjson.encode({[1.5] = 1})',
      'local t = {} local c = t for i = 1, 1100 do c[1] = {} c = c[1] end return cjson.encode(t)',
      'local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)',
      'return cjson.encode(0/0)',
      'return cjson.encode(function() end)',
      // cjson.encode walks tables directly (libs.ts): their order, holes, nulls, mixed keys and refused values.
      'return cjson.encode({a = {1, nil, 3}, b = cjson.null, c = {x = false}, d = {cjson.null, true}})',
      'return cjson.encode({1, 2, x = 3})',
      'return cjson.encode({[1/0] = 1})',
      'return cjson.encode({f = tostring})',
      'return cjson.encode({[{}] = 1})',
      "local t = {} for i = 1, 12 do t[i] = i end t[5] = nil t[11] = nil return cjson.encode(t)",
    );
  });

  it('shebang flags, EVAL_RO and no-writes', async () => {
    await p.same('SET', 'k', 'v');
    await evals(
      "#!lua flags=no-writes\nreturn redis.call('get', 'k')",
      "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
      "#!lua flags=no-writes,allow-oom\nreturn 1",
      '#!lua\nreturn 2',
      '#!lua flags=\nreturn 3',
      "#!lua flags=bad\nreturn 1",
      '#!js\nreturn 1',
      '#!lua foo=bar\nreturn 1',
      "#!lua\nerror('second line')",
    );
    await p.same('EVAL_RO', "return redis.call('get', 'k')", '0');
    await p.same('EVAL_RO', "return redis.call('set', 'a', 'b')", '0');
    await p.same('EVAL_RO', "#!lua\nreturn redis.call('get', 'k')", '0');
    await p.same('EVAL_RO', "#!lua flags=no-writes\nreturn redis.call('get', 'k')", '0');
    await p.same('GET', 'a');
  });

  it('FUNCTION LOAD, FCALL, FCALL_RO, LIST, STATS, DELETE, DUMP and RESTORE', async () => {
    await p.same('FUNCTION', 'LOAD', LIB);
    await p.same('FUNCTION', 'LOAD', LIB);
    await p.same('FUNCTION', 'LOAD', 'REPLACE', LIB);
    await p.same('FCALL', 'echo', '1', 'k', 'a');
    await p.same('FCALL', 'setter', '1', 'k', 'v');
    await p.same('FCALL_RO', 'reader', '1', 'k');
    await p.same('FCALL_RO', 'setter', '1', 'k', 'v');
    await p.same('FCALL', 'bad_writer', '0');
    await p.same('FCALL', 'nosuch', '0');
    await p.same('FCALL', 'echo', '-1');
    await p.same('FCALL', 'echo', '5');
    await sameList('FUNCTION', 'LIST');
    await sameList('FUNCTION', 'LIST', 'WITHCODE');
    await sameList('FUNCTION', 'LIST', 'LIBRARYNAME', 'my*');
    await p.same('FUNCTION', 'LIST', 'LIBRARYNAME', 'other');
    await p.same('FUNCTION', 'LIST', 'LIBRARYNAME');
    await p.same('FUNCTION', 'LIST', 'bad');
    await p.same('FUNCTION', 'STATS');
    await p.inResp3(async () => {
      await sameList('FUNCTION', 'LIST');
      await p.same('FUNCTION', 'STATS');
    });
    const dump = (await p.same('FUNCTION', 'DUMP')).value as string;
    await p.same('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'));
    await p.same('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'), 'REPLACE');
    await p.same('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'), 'bad');
    await p.same('FUNCTION', 'RESTORE', 'garbage');
    await p.same('FUNCTION', 'DELETE', 'mylib');
    await p.same('FUNCTION', 'DELETE', 'mylib');
    await p.same('FCALL', 'echo', '0');
    await p.same('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'));
    await p.same('FCALL', 'echo', '1', 'restored', 'yes');
    await p.same('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'), 'FLUSH');
    await p.same('FUNCTION', 'FLUSH', 'bad');
    await p.same('FUNCTION', 'FLUSH', 'ASYNC');
    await p.same('FUNCTION', 'LIST');
    await p.same('FUNCTION', 'KILL');
    await p.same('FUNCTION', 'HELP');
  });

  it("a function's globals: readonly as a script's, misses refused", async () => {
    const library = `#!lua name=globals
redis.register_function('write', function() y = 1 end)
redis.register_function('miss', function() return nosuch end)
redis.register_function('library', function() string.x = 1 end)
redis.register_function('raw', function() rawset(_G, 'q', 1) end)
redis.register_function('meta', function() return type(getmetatable(_G)) end)`;
    await p.same('FUNCTION', 'LOAD', library);
    for (const f of ['write', 'miss', 'library', 'raw', 'meta']) await p.same('FCALL', f, '0');
    await p.same('FUNCTION', 'LOAD', '#!lua name=global_at_load\nz = 5');
  });

  it('FUNCTION LOAD errors: metadata, names, registration, the load environment', async () => {
    const loads = [
      'return 1',
      '#!lua',
      '#!lua\nreturn 1',
      '#!lua name=mylib',
      '#!lua name=mylib foo=bar\nreturn 1',
      "#!lua name=my-lib\nredis.register_function('f', function() return 1 end)",
      "#!lua name=lib\nredis.register_function('f-x', function() return 1 end)",
      "#!lua name=lib\nredis.call('ping')",
      '#!lua name=lib\nlocal x = 1',
      "#!lua name=lib\nredis.register_function('h', function() end)\nredis.register_function('h', function() end)",
      "#!lua name=lib\nredis.register_function('h2', 'notfunc')",
      "#!lua name=lib\nredis.register_function('h2')",
      "#!lua name=lib\nredis.register_function{function_name='h3', callback=function() end, flags={'bad'}}",
      "#!lua name=lib\nredis.register_function{function_name='h3', callback=function() end, other=1}",
      "#!lua name=lib\nredis.register_function{callback=function() end}",
      "#!lua name=lib\nredis.register_function{function_name='h4'}",
      '#!lua name=lib\nsyntax error',
      "#!lua name=lib\nerror('x')",
      '#!lua name=lib\nlocal s = string',
      "#!lua name=lib\nredis.log(redis.LOG_NOTICE, redis.REDIS_VERSION)\nredis.register_function('ok', function() return 1 end)",
      "#!lua name=lib2\nredis.register_function('ok', function() return 2 end)",
      "#!lua name=lib3\nredis.register_function('g', function() return x end)",
    ];
    for (const code of loads) await p.same('FUNCTION', 'LOAD', code);
    await p.same('FUNCTION', 'LOAD', 'REPLACE', 'x', 'y');
    await p.same('FCALL', 'ok', '0');
    await p.same('FCALL', 'g', '0');
  });

  it('propagates the commands a script ran, wrapped in MULTI/EXEC when several, and FUNCTION LOAD as itself', async () => {
    const units: TextEffect[][] = [];
    const off = servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
    try {
      await p.same('EVAL', "redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', 'n'); return redis.call('GET', KEYS[1])", '1', 'k', 'v');
      await p.same('EVAL', "return redis.call('GET', 'k')", '0');
      await p.same('EVAL', "redis.call('SET', 'x', 'y'); return 1", '0');
      await p.same('EVAL', "redis.call('SET', 'y', 'z'); error('after a write')", '0');
      await p.same('FUNCTION', 'LOAD', LIB);
      await p.same('FCALL', 'setter', '1', 'f', 'v');
    } finally {
      off();
    }
    expect(units).toEqual([
      [
        { db: 0, argv: ['SET', 'k', 'v'] },
        { db: 0, argv: ['INCR', 'n'] },
      ],
      [{ db: 0, argv: ['SET', 'x', 'y'] }],
      [{ db: 0, argv: ['SET', 'y', 'z'] }],
      [{ db: 0, argv: ['FUNCTION', 'LOAD', LIB] }],
      [{ db: 0, argv: ['SET', 'f', 'v'] }],
    ]);
    await p.same('MGET', 'k', 'n', 'x', 'y', 'f');
  });

  it('scripts inside MULTI/EXEC, SELECT inside a script, WATCH sees a script write', async () => {
    await p.same('MULTI');
    await p.same('EVAL', "return redis.call('INCR', 'c')", '0');
    await p.same('EVAL', "return redis.call('INCR', 'c')", '0');
    await p.same('EXEC');
    await p.same('EVAL', "redis.call('SELECT', 1); redis.call('SET', 'in1', 'v'); return redis.call('DBSIZE')", '0');
    await p.same('EXISTS', 'in1');
    await p.same('SELECT', '1');
    await p.same('GET', 'in1');
    await p.same('SELECT', '0');
    await p.same('WATCH', 'w');
    await p.same('EVAL', "return redis.call('SET', 'w', '1')", '0');
    await p.same('MULTI');
    await p.same('GET', 'w');
    await p.same('EXEC');
    await p.same('EVAL', "return redis.call('BLPOP', 'nolist', 0)", '0');
  });
});
