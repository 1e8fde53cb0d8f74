/**
 * Random sequences of hash and set commands (fast-check, seeded) run pipelined on our
 * broker and on redis-server, every reply compared. A small key alphabet (shared by
 * both types, and one key is sometimes a string) and small field, value and member
 * alphabets make commands meet on the same keys. Commands whose reply is random
 * (SPOP, SRANDMEMBER, HRANDFIELD) are left to the hand-written suites. A set holding
 * words is a hashtable, whose order is redis-server's dict's: replies are compared with
 * every flat list of strings sorted (the hand-written suites check intset and listpack
 * order byte for byte). Each sequence ends with DEBUG DIGEST; finally everything our
 * broker propagated, replayed on a fresh redis-server and a fresh broker, must rebuild
 * the same dataset.
 */
import fc from 'fast-check';
import { ReplyFramer, type Decoded } from '../../protocol/decoder.js';
import { show } from '../harness/diff.js';
import { KEY, randomDiffSuite } from '../harness/random-diff.js';

const key = fc.constantFrom('a', 'b', 'c', 's').map((k) => KEY + k);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });
const field = fc.constantFrom('f', 'g', 'h', '1', '', '\x00');
const value = fc.constantFrom('1', '-2', 'x', '1.5', '', '9223372036854775807', 'abc', '1e3');
const member = fc.constantFrom('1', '2', '3', '-5', '10', 'x', 'y', '', '01', '9223372036854775807');
const members = fc.array(member, { minLength: 1, maxLength: 5 });
const number = fc.constantFrom('1', '-1', '0', '10', '9223372036854775807', 'x', '0.5', 'inf');
const scanOptions = fc.array(fc.oneof(fc.constant(['MATCH', '1*']), fc.constant(['COUNT', '2']), fc.constant(['COUNT', '0']), fc.constant(['BOGUS'])), { maxLength: 2 });

const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('HSET', 'HMSET'), key, fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 })).map(([c, k, fv]) => [c, k, ...fv.flat()]) },
  fc.tuple(key, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
  { weight: 2, arbitrary: fc.tuple(key, fc.array(field, { minLength: 1, maxLength: 3 })).map(([k, fs]) => ['HDEL', k, ...fs]) },
  fc.tuple(fc.constantFrom('HGET', 'HSTRLEN', 'HEXISTS'), key, field).map(([c, k, f]) => [c, k, f]),
  fc.tuple(key, fc.array(field, { minLength: 1, maxLength: 3 })).map(([k, fs]) => ['HMGET', k, ...fs]),
  fc.tuple(fc.constantFrom('HINCRBY', 'HINCRBYFLOAT'), key, field, number).map(([c, k, f, n]) => [c, k, f, n]),
  fc.tuple(fc.constantFrom('HLEN', 'HGETALL', 'HKEYS', 'HVALS', 'SCARD', 'SMEMBERS', 'TYPE'), key).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom('HSCAN', 'SSCAN'), key, scanOptions).map(([c, k, o]) => [c, k, '0', ...o.flat()]),
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('SADD', 'SREM'), key, members).map(([c, k, m]) => [c, k, ...m]) },
  fc.tuple(fc.constantFrom('SISMEMBER'), key, member).map(([c, k, m]) => [c, k, m]),
  fc.tuple(key, members).map(([k, m]) => ['SMISMEMBER', k, ...m]),
  fc.tuple(key, key, member).map(([a, b, m]) => ['SMOVE', a, b, m]),
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), keys).map(([c, ks]) => [c, ...ks]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, keys).map(([c, d, ks]) => [c, d, ...ks]) },
  fc.tuple(keys, fc.option(fc.constantFrom('0', '1', '2', '-1', 'x'), { nil: undefined })).map(([ks, limit]) => ['SINTERCARD', String(ks.length), ...ks, ...(limit === undefined ? [] : ['LIMIT', limit])]),
  fc.tuple(key).map(([k]) => ['SET', k, 'string']),
  fc.tuple(key).map(([k]) => ['DEL', k]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  fc.tuple(key).map(([k]) => ['OBJECT', 'ENCODING', k]),
);

/** A decoded reply with every list of plain strings sorted, nested ones included. */
function canonical(v: Decoded): unknown {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? [...(v as string[])].sort() : v.map(canonical);
  if (v !== null && typeof v === 'object' && 'set' in v) return { set: canonical(v.set) };
  if (v !== null && typeof v === 'object' && 'map' in v) return { map: v.map.map(([a, b]) => [canonical(a), canonical(b)]).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)) };
  return typeof v === 'bigint' ? String(v) : v;
}

/** The comparison view of a raw reply: errors and scalars as bytes, lists in canonical order. */
function view(raw: Buffer): string {
  const [reply] = new ReplyFramer().push(raw);
  return Array.isArray(reply.value) || (reply.value !== null && typeof reply.value === 'object' && ('set' in reply.value || 'map' in reply.value))
    ? `${String.fromCharCode(raw[0])}${JSON.stringify(canonical(reply.value))}`
    : show(raw);
}

randomDiffSuite({ family: 'hash and set command', command, seed: 0x16a5e7, view, replayOnBroker: true });
