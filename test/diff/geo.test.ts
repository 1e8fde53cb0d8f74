/**
 * The geo commands against redis-server, reply for reply, byte for byte, in RESP2 and
 * RESP3: GEOADD's options and range errors, coordinates (their `%.17Lf` printing),
 * distances in every unit, geohash strings, scores that are no geohash, every search
 * form with its options, orders, limits and errors, the STORE forms, searches near the
 * poles and across the antimeridian, keyspace events, WATCH, and the effects replayed
 * on a fresh redis-server.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';
import { recordEffects, replayedDigest } from '../harness/effects.js';
import { RawClient } from '../harness/raw.js';

const DEBUG = ['--enable-debug-command', 'yes'];

const SICILY = ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'];

describe.skipIf(!hasRedisServer())('geo commands vs redis-server', () => {
  const { servers, p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });

  it('GEOADD options and errors, GEOPOS, GEODIST, GEOHASH', async () => {
    await p.sameInBothProtocols([
      SICILY,
      ['GEOADD', 'Sicily', 'NX', '13', '38', 'Palermo', '1', '1', 'new'],
      ['GEOADD', 'Sicily', 'XX', '13', '38', 'Palermo', '2', '2', 'nope'],
      ['GEOADD', 'Sicily', 'XX', 'CH', '13.5', '38', 'Palermo'],
      ['GEOADD', 'Sicily', 'CH', 'NX', '13.5', '38', 'Palermo', '3', '3', 'new2'],
      ['GEOADD', 'Sicily', 'NX', 'XX', '1', '1', 'a'],
      ['GEOADD', 'Sicily', 'nx', 'ch', 'ch'],
      ['GEOADD', 'Sicily', 'GT', '1', '1', 'a'],
      ['GEOADD', 'Sicily', '1', '1', 'a', '2'],
      ['GEOADD', 'Sicily', '181', '0', 'x'],
      ['GEOADD', 'Sicily', '-180.0001', '0', 'x'],
      ['GEOADD', 'Sicily', '0', '85.06', 'x'],
      ['GEOADD', 'Sicily', '0', '-85.05112879', 'x'],
      ['GEOADD', 'Sicily', 'inf', '0', 'x'],
      ['GEOADD', 'Sicily', '0', '-inf', 'x'],
      ['GEOADD', 'Sicily', '1e300', '0', 'x'],
      ['GEOADD', 'Sicily', 'nan', '0', 'x'],
      ['GEOADD', 'Sicily', ' 1', '0', 'x'],
      ['GEOADD', 'Sicily', '0x10', '0', 'x'],
      ['GEOADD', 'Sicily', '1', '1', 'ok', '200', '1', 'bad'],
      ['GEOADD', 'Sicily', '180', '85.05112878', 'corner1', '-180', '-85.05112878', 'corner2', '0', '0', 'origin', '-0', '-0', 'negzero'],
      ['ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'],
      ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'missing', 'corner1', 'corner2', 'origin', 'negzero', 'new', 'ok'],
      ['GEOPOS', 'nokey', 'a', 'b'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'Ft'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'm'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'yd'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'extra'],
      ['GEODIST', 'Sicily', 'Palermo', 'missing'],
      ['GEODIST', 'Sicily', 'missing', 'Palermo'],
      ['GEODIST', 'Sicily', 'Palermo', 'Palermo'],
      ['GEODIST', 'Sicily', 'corner1', 'corner2', 'km'],
      ['GEODIST', 'nokey', 'a', 'b'],
      ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'missing', 'corner1', 'corner2', 'origin', 'edge1'],
      ['GEOHASH', 'nokey', 'a'],
      ['GEOHASH', 'Sicily'],
      ['GEOPOS', 'Sicily'],
      ['OBJECT', 'ENCODING', 'Sicily'],
      ['SET', 'str', 'x'],
      ['GEOADD', 'str', '1', '1', 'a'],
      ['GEOPOS', 'str', 'a'],
      ['GEODIST', 'str', 'a', 'b'],
      ['GEOHASH', 'str', 'a'],
      ['GEORADIUS', 'str', '1', '1', '1', 'km'],
      ['GEOSEARCH', 'str', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ]);
  });

  it('scores that are no geohash decode as redis-server decodes them', async () => {
    await p.sameInBothProtocols([
      ['ZADD', 'z', '4503599627370495', 'max', '4503599627370496', 'over', '-1', 'neg', '1e300', 'huge', '0.5', 'half', 'inf', 'pinf', '-inf', 'ninf'],
      ['ZADD', 'z', '0', 'zero', '9223372036854775807', 'i63', '-9223372036854775808', 'n63', '1e19', 'e19', '-1e19', 'ne19', '123456789.75', 'frac'],
      ['GEOPOS', 'z', 'max', 'over', 'neg', 'huge', 'half', 'pinf', 'ninf', 'zero', 'i63', 'n63', 'e19', 'ne19', 'frac'],
      ['GEOHASH', 'z', 'max', 'over', 'neg', 'huge', 'half', 'pinf', 'ninf', 'zero', 'i63', 'n63', 'e19', 'ne19', 'frac'],
      ['GEODIST', 'z', 'neg', 'ninf', 'km'],
      ['GEORADIUS', 'z', '0', '0', '20000', 'km', 'WITHCOORD', 'WITHHASH', 'WITHDIST', 'ASC'],
    ]);
  });

  it('GEORADIUS and GEORADIUSBYMEMBER: options, orders, counts, errors', async () => {
    const search = (...rest: string[]): string[] => ['GEORADIUS', 'Sicily', '15', '37', ...rest];
    await p.sameInBothProtocols([
      SICILY,
      search('200', 'km'),
      search('200', 'km', 'ASC'),
      search('200', 'km', 'DESC'),
      search('200', 'km', 'WITHDIST'),
      search('200', 'km', 'WITHCOORD', 'WITHDIST', 'WITHHASH', 'ASC'),
      search('200', 'km', 'withhash', 'desc'),
      search('200', 'km', 'COUNT', '1'),
      search('200', 'km', 'COUNT', '2', 'DESC'),
      search('200', 'km', 'COUNT', '1', 'ANY'),
      search('200', 'km', 'COUNT', '10', 'ANY', 'ASC'),
      search('200', 'km', 'ANY'),
      search('200', 'km', 'COUNT', '0'),
      search('200', 'km', 'COUNT', '-1'),
      search('200', 'km', 'COUNT', 'x'),
      search('200', 'km', 'COUNT'),
      search('200', 'km', 'BOGUS'),
      search('200000', 'm'),
      search('124.3', 'mi'),
      search('656168', 'ft', 'WITHDIST'),
      search('0', 'km'),
      search('-1', 'km'),
      search('x', 'km'),
      search('1', 'parsec'),
      search('20000', 'km', 'WITHDIST'),
      ['GEORADIUS', 'Sicily', '181', '37', '1', 'km'],
      ['GEORADIUS', 'Sicily', 'x', '37', '1', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', '200', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', 'x', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'COUNT', '0'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST', 'ASC'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHCOORD', 'COUNT', '2'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'missing', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'missing', 'x', 'km'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', 'x', 'km'],
      ['GEORADIUSBYMEMBER', 'nokey', 'Palermo', 'x', 'km'],
      ['GEORADIUSBYMEMBER', 'nokey', 'Palermo', '1', 'km', 'BOGUS'],
      ['GEORADIUSBYMEMBER', 'nokey', 'Palermo', '1', 'km', 'STORE', 'dst', 'WITHDIST'],
      ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'ASC'],
      ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', 'ASC'],
      ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', 'STOREDIST', 'dst'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'FROMMEMBER', 'Palermo'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'BYRADIUS', '1', 'km'],
    ]);
  });

  it('GEOSEARCH: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX, options and errors', async () => {
    const search = (...rest: string[]): string[] => ['GEOSEARCH', 'Sicily', ...rest];
    await p.sameInBothProtocols([
      SICILY,
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km'),
      search('FROMMEMBER', 'Palermo', 'BYBOX', '200', '200', 'km', 'DESC', 'WITHDIST'),
      search('FROMMEMBER', 'Palermo', 'BYRADIUS', '100', 'mi', 'COUNT', '1'),
      search('FROMMEMBER', 'Palermo', 'BYRADIUS', '1000', 'km', 'COUNT', '3', 'ANY'),
      search('FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '1000', 'km', 'ASC'),
      search('BYRADIUS', '1000', 'km', 'FROMMEMBER', 'Catania', 'ASC', 'WITHDIST'),
      search('FROMMEMBER', 'missing', 'BYRADIUS', '1', 'km'),
      search('FROMMEMBER', 'Palermo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYRADIUS', '300', 'km'),
      search('FROMLONLAT', '15', '37'),
      search('BYRADIUS', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '1', '1'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '-1', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYBOX', 'x', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '1', 'x', 'km'),
      search('FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'yd'),
      search('FROMLONLAT', '15', '91', 'BYRADIUS', '1', 'km'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'dst'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ANY'),
      search('FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '0'),
      ['geoSearch', 'Sicily', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', 'x', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x'],
      ['GEOSEARCH', 'nokey', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'BOGUS'],
    ]);
  });

  it('GEOSEARCHSTORE and the STORE forms: results, STOREDIST, empty results delete, events', async () => {
    await p.sameInBothProtocols([
      SICILY,
      ['GEOSEARCHSTORE', 'd1', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3'],
      ['ZRANGE', 'd1', '0', '-1', 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'd1'],
      ['GEOSEARCHSTORE', 'd2', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3', 'STOREDIST'],
      ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'd2', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'm'],
      ['EXISTS', 'd2'],
      ['GEOSEARCHSTORE', 'd1', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'm'],
      ['EXISTS', 'd1'],
      ['GEOSEARCHSTORE', 'd1', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'],
      ['GEOSEARCHSTORE', 'd1', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'x'],
      ['GEOSEARCHSTORE', 'd1', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'STOREDIST', 'DESC'],
      ['ZRANGE', 'd1', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd3'],
      ['ZRANGE', 'd3', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'd3', 'COUNT', '1'],
      ['ZRANGE', 'd3', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd3', 'WITHCOORD'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '500', 'km', 'STOREDIST', 'd4', 'STORE', 'd5'],
      ['EXISTS', 'd4', 'd5'],
      ['ZRANGE', 'd5', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE'],
      ['SET', 'str', 'x'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'str'],
      ['TYPE', 'str'],
      ['GEOSEARCHSTORE', 'str', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'm'],
      ['EXISTS', 'str'],
    ]);
  });

  it('searches near the poles, across the antimeridian, with huge and zero radii', async () => {
    const points = [
      ['179.9', '10', 'east'],
      ['-179.9', '10', 'west'],
      ['180', '0', 'edge'],
      ['-180', '0', 'edge2'],
      ['0', '85', 'north'],
      ['90', '85.05', 'north2'],
      ['-90', '84.9', 'north3'],
      ['0', '-85', 'south'],
      ['45', '-84.99', 'south2'],
      ['0', '0', 'origin'],
      ['0.000001', '0.000001', 'near'],
      ['100', '50', 'far'],
      ['-100', '-50', 'far2'],
    ];
    const commands: string[][] = [['GEOADD', 'w', ...points.flat()]];
    for (const [lon, lat] of [['180', '10'], ['-180', '10'], ['179.99', '0'], ['0', '85'], ['0', '-85'], ['170', '84'], ['0', '0']]) {
      for (const [r, unit] of [['0', 'm'], ['1', 'm'], ['50', 'km'], ['500', 'km'], ['5000', 'km'], ['30000', 'km'], ['1e9', 'mi']]) {
        commands.push(['GEOSEARCH', 'w', 'FROMLONLAT', lon, lat, 'BYRADIUS', r, unit, 'WITHDIST', 'WITHCOORD', 'WITHHASH']);
        commands.push(['GEOSEARCH', 'w', 'FROMLONLAT', lon, lat, 'BYBOX', r, r, unit, 'ASC', 'WITHDIST']);
        commands.push(['GEOSEARCH', 'w', 'FROMLONLAT', lon, lat, 'BYBOX', r, String(Number(r) / 3), unit, 'DESC']);
      }
    }
    for (const [, , name] of points) commands.push(['GEOSEARCH', 'w', 'FROMMEMBER', name, 'BYRADIUS', '3000', 'km', 'WITHDIST']);
    await p.sameInBothProtocols(commands);
  });

  it('keyspace events of GEOADD and the STORE forms', async () => {
    const [oursSub, refSub] = await Promise.all([RawClient.connect(servers.ours.port), RawClient.connect(servers.ref.port)]);
    try {
      await p.same('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      for (const sub of [oursSub, refSub]) await sub.call('PSUBSCRIBE', '__keyevent@0__:*');
      await p.samePipeline([
        SICILY,
        ['GEOADD', 'Sicily', 'NX', '13', '38', 'Palermo'],
        ['GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
        ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd2'],
        ['GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'd2'],
      ]);
      const events = async (sub: RawClient): Promise<string[]> => {
        const out: string[] = [];
        for (;;) {
          const r = await sub.read();
          const text = r.raw.toString('latin1');
          if (text.includes('__keyevent@0__:set') || out.length > 20) return out;
          out.push(text);
        }
      };
      await p.same('SET', 'last', '1');
      const [ours, ref] = await Promise.all([events(oursSub), events(refSub)]);
      expect(ours).toEqual(ref);
    } finally {
      oursSub.close();
      refSub.close();
      await p.same('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('WATCH sees GEOADD, the STORE forms and SORT ... STORE', async () => {
    const other = await servers.pair();
    await p.same(...SICILY);
    for (const write of [
      ['GEOADD', 'Sicily', '1', '1', 'x'],
      ['GEOSEARCHSTORE', 'w', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'w'],
      ['SORT', 'Sicily', 'BY', 'nosort', 'STORE', 'w'],
      ['GEOADD', 'Sicily', 'NX', '1', '1', 'x'],
    ]) {
      const watched = write[0] === 'GEOADD' ? 'Sicily' : 'w';
      await p.same('WATCH', watched);
      await other.same(...write);
      await p.same('MULTI');
      await p.same('PING');
      await p.same('EXEC');
    }
  });

  it('effects replayed on a fresh redis-server rebuild the dataset', async () => {
    const recorded = recordEffects(servers.ours.broker.engine);
    try {
      const commands = [
        SICILY,
        ['GEOADD', 'Sicily', 'XX', 'CH', '13.5', '38', 'Palermo', '1', '1', 'nope'],
        ['GEOADD', 'Sicily', 'NX', '13.5', '38', 'Palermo'],
        ['GEOSEARCHSTORE', 'd', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
        ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '300', 'km', 'STORE', 'd2'],
        ['GEORADIUS', 'Sicily', '15', '37', '1', 'm', 'STORE', 'd2'],
      ];
      await p.samePipeline(commands);
      expect(recorded.units.flat().map((e) => e.argv[0])).toEqual(['zadd', 'zadd', 'GEOSEARCHSTORE', 'GEORADIUSBYMEMBER', 'GEORADIUS']);
      const expected = (await p.ref.call('DEBUG', 'DIGEST')).raw.toString();
      expect(await replayedDigest(recorded.units)).toBe(expected);
    } finally {
      recorded.stop();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
