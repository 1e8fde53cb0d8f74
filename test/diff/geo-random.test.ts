/**
 * Random geo workloads (fast-check, seeded) run pipelined on our broker and on
 * redis-server, every reply compared byte for byte: random points (anywhere, and
 * crowded near the poles, the antimeridian and the equator, some out of range), random
 * radius and box searches from coordinates or members with every option (orders,
 * COUNT and ANY, WITHCOORD/WITHDIST/WITHHASH), the STORE forms read back with their
 * scores (STOREDIST's full doubles), GEODIST, GEOPOS and GEOHASH.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

const LAT_MAX = 85.05112878;

/** A coordinate as text: uniform, near an edge, or a round number. */
function coordinate(max: number, edges: readonly number[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.double({ min: -max, max, noNaN: true }) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...edges), fc.double({ min: -2, max: 2, noNaN: true })).map(([e, d]) => Math.max(-max, Math.min(max, e + d))) },
      fc.constantFrom(...edges),
      fc.integer({ min: -Math.floor(max), max: Math.floor(max) }),
    )
    .map((v) => String(v));
}

const lon = fc.oneof({ weight: 20, arbitrary: coordinate(180, [-180, 180, 0, -179.9, 179.9]) }, fc.constantFrom('180.0001', '-181'));
const lat = fc.oneof({ weight: 20, arbitrary: coordinate(LAT_MAX, [-LAT_MAX, LAT_MAX, 0, 85, -85, 80, -80, 66, -66]) }, fc.constantFrom('85.06', '-90'));
const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j');
const unit = fc.constantFrom('m', 'km', 'mi', 'ft', 'KM');
const size = fc.oneof(
  fc.double({ min: 0, max: 3000, noNaN: true }),
  fc.double({ min: 0, max: 30000, noNaN: true }),
  fc.constantFrom(0, 1, 100, 5000, 20000, 40000),
);
const shape = fc.oneof(
  fc.tuple(size, unit).map(([r, u]) => ['BYRADIUS', String(r), u]),
  fc.tuple(size, size, unit).map(([w, h, u]) => ['BYBOX', String(w), String(h), u]),
);
const center = fc.oneof(fc.tuple(lon, lat).map(([x, y]) => ['FROMLONLAT', x, y]), member.map((m) => ['FROMMEMBER', m]));
const order = fc.constantFrom([], ['ASC'], ['DESC']);
const count = fc.oneof(fc.constant([]), fc.constantFrom('1', '2', '5').map((n) => ['COUNT', n]), fc.constantFrom('1', '3').map((n) => ['COUNT', n, 'ANY']));
const withs = fc.subarray(['WITHCOORD', 'WITHDIST', 'WITHHASH']);

const command: fc.Arbitrary<string[][]> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(lon, lat, member), { minLength: 1, maxLength: 5 }).map((ps) => [['GEOADD', 'g', ...ps.flat()]]) },
  {
    weight: 6,
    arbitrary: fc.tuple(center, shape, order, count, withs).map(([c, s, o, n, w]) => [['GEOSEARCH', 'g', ...c, ...s, ...o, ...n, ...w]]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(center, shape, order, count, fc.boolean()).map(([c, s, o, n, dist]) => [
      ['GEOSEARCHSTORE', 'dst', 'g', ...c, ...s, ...o, ...n, ...(dist ? ['STOREDIST'] : [])],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(lon, lat, size, unit, order, count, withs).map(([x, y, r, u, o, n, w]) => [['GEORADIUS', 'g', x, y, String(r), u, ...o, ...n, ...w]]),
  },
  fc.tuple(member, size, unit, order, count).map(([m, r, u, o, n]) => [['GEORADIUSBYMEMBER', 'g', m, String(r), u, ...o, ...n, 'STOREDIST', 'dst'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']]),
  fc.tuple(member, member, fc.constantFrom([], ['km'], ['mi'])).map(([a, b, u]) => [['GEODIST', 'g', a, b, ...u]]),
  fc.array(member, { minLength: 1, maxLength: 4 }).map((ms) => [['GEOPOS', 'g', ...ms], ['GEOHASH', 'g', ...ms]]),
  fc.array(member, { minLength: 1, maxLength: 2 }).map((ms) => [['ZREM', 'g', ...ms]]),
);

describe.skipIf(!hasRedisServer())('random geo workloads vs redis-server', () => {
  const { p } = diffSuite();

  it('replies match byte for byte (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (groups) => {
        await p.samePipeline([['FLUSHALL'], ...groups.flat()]);
      }),
      { numRuns: 200, seed: 2626 },
    );
  });

  it('RESP3 replies match byte for byte (fast-check)', async () => {
    await p.inResp3(() =>
      fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (groups) => {
          await p.samePipeline([['FLUSHALL'], ...groups.flat()]);
        }),
        { numRuns: 60, seed: 2727 },
      ),
    );
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
