/**
 * The geo family, as redis-server 7.0's geo.c, over sorted sets whose scores are
 * 52-bit geohashes (engine/types/geohash.ts): GEOADD, GEODIST, GEOHASH, GEOPOS,
 * GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms.
 *
 * A search visits the centre's geohash cell and its eight neighbours as Redis does
 * (same cells, same order, the members of each in score order), so an unsorted reply
 * and an ANY search list the same members in the same order. Coordinates are written
 * as addReplyHumanLongDouble (`%.17Lf`, trimmed), distances as `%.4f`.
 *
 * Effects: GEOADD becomes the ZADD it runs (redis-server rewrites its argv the same
 * way), so it propagates and notifies as ZADD (`zadd`); the STORE forms go out as
 * they are (`georadiusstore`/`geosearchstore` events, or `del` for an empty result).
 *
 * Sorting is 7.0's: glibc's qsort (a stable merge sort) of all matches, even when COUNT
 * keeps fewer, so points at the same distance come in the order they were found.
 *
 * Where this differs: distances may differ in the last bit (see geohash.ts).
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import {
  GEO_ANY_NEEDS_COUNT,
  GEO_BOX_NEGATIVE,
  GEO_BY_NEEDED,
  GEO_COUNT_NOT_POSITIVE,
  GEO_FROM_NEEDED,
  GEO_INVALID_LONLAT,
  GEO_MEMBER_UNDECODABLE,
  GEO_NEED_NUMERIC_HEIGHT,
  GEO_NEED_NUMERIC_RADIUS,
  GEO_NEED_NUMERIC_WIDTH,
  GEO_RADIUS_NEGATIVE,
  GEO_STORE_WITH_OPTIONS,
  GEO_UNSUPPORTED_UNIT,
  NOT_FLOAT,
  NOT_INTEGER,
  SYNTAX,
} from '../errors.js';
import { ZSet, scoreLteMax, type ScoreRange } from '../types/zset.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  cellScoreRange,
  decodeScore,
  distance,
  distanceIfWithin,
  encodeScore,
  geohashString,
  searchCells,
  type Cell,
  type Shape,
} from '../types/geohash.js';
import { parseDouble } from '../util/double.js';
import { parseInt64 } from '../util/int64.js';
import { formatFixed, formatLongDouble, longDoubleOf } from '../util/long-double.js';
import { isOption } from '../util/option.js';
import { readableOrReply } from './typed-lookup.js';
import { storeResult, zaddCommand, type Scored } from './zset.js';

/** C's `%.<digits>f` of a double. */
function fixed(d: number, digits: number): string {
  return formatFixed(longDoubleOf(d), digits);
}

/** addReplyHumanLongDouble. */
function replyCoordinate(c: Client, d: number): void {
  c.reply.doubleText(formatLongDouble(longDoubleOf(d)));
}

// ---------------------------------------------------------------- arguments

/** A double argument (getDoubleFromObjectOrReply), or null after `error`. */
function parseDoubleOrReply(c: Client, arg: string, error = NOT_FLOAT): number | null {
  const v = parseDouble(arg);
  if (v === null) c.reply.error(error);
  return v;
}

/** extractLongLatOrReply: a longitude and a latitude in the ranges geohashes cover. */
function parseLonLatOrReply(c: Client, lonArg: string, latArg: string): [number, number] | null {
  const lon = parseDoubleOrReply(c, lonArg);
  if (lon === null) return null;
  const lat = parseDoubleOrReply(c, latArg);
  if (lat === null) return null;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    c.reply.error(GEO_INVALID_LONLAT(fixed(lon, 6), fixed(lat, 6)));
    return null;
  }
  return [lon, lat];
}

const UNITS: readonly [string, number][] = [
  ['m', 1],
  ['km', 1000],
  ['ft', 0.3048],
  ['mi', 1609.34],
];

/** extractUnitOrReply: how many meters one unit is. */
function parseUnitOrReply(c: Client, arg: string): number | null {
  const unit = UNITS.find(([name]) => isOption(arg, name));
  if (unit === undefined) c.reply.error(GEO_UNSUPPORTED_UNIT);
  return unit === undefined ? null : unit[1];
}

/** extractDistanceOrReply: `<radius> <unit>`. */
function parseRadiusOrReply(c: Client, radiusArg: string, unitArg: string): { radius: number; conversion: number } | null {
  const radius = parseDoubleOrReply(c, radiusArg, GEO_NEED_NUMERIC_RADIUS);
  if (radius === null) return null;
  if (radius < 0) {
    c.reply.error(GEO_RADIUS_NEGATIVE);
    return null;
  }
  const conversion = parseUnitOrReply(c, unitArg);
  return conversion === null ? null : { radius, conversion };
}

/** extractBoxOrReply: `<width> <height> <unit>`. */
function parseBoxOrReply(c: Client, argv: string[], at: number): { width: number; height: number; conversion: number } | null {
  const width = parseDoubleOrReply(c, argv[at], GEO_NEED_NUMERIC_WIDTH);
  if (width === null) return null;
  const height = parseDoubleOrReply(c, argv[at + 1], GEO_NEED_NUMERIC_HEIGHT);
  if (height === null) return null;
  if (height < 0 || width < 0) {
    c.reply.error(GEO_BOX_NEGATIVE);
    return null;
  }
  const conversion = parseUnitOrReply(c, argv[at + 2]);
  return conversion === null ? null : { width, height, conversion };
}

/** longLatFromMember: the position of a member, or null after the error when it has none. */
function memberPositionOrReply(c: Client, z: ZSet, member: string): [number, number] | null {
  const score = z.score(member);
  if (score === undefined) {
    c.reply.error(GEO_MEMBER_UNDECODABLE);
    return null;
  }
  return decodeScore(score);
}

// ---------------------------------------------------------------- GEOADD, GEODIST, GEOHASH, GEOPOS

/** GEOADD key [NX|XX] [CH] lon lat member ...: runs as `ZADD key [options] score member ...`. */
function geoadd(c: Client, argv: string[]): void {
  let at = 2;
  let nx = false;
  let xx = false;
  for (; at < argv.length; at++) {
    if (isOption(argv[at], 'nx')) nx = true;
    else if (isOption(argv[at], 'xx')) xx = true;
    else if (!isOption(argv[at], 'ch')) break;
  }
  if ((argv.length - at) % 3 !== 0 || (xx && nx)) return c.reply.error(SYNTAX);
  const zadd = argv.slice(0, at);
  zadd[0] = 'zadd';
  for (let j = at; j < argv.length; j += 3) {
    const position = parseLonLatOrReply(c, argv[j], argv[j + 1]);
    if (position === null) return;
    zadd.push(String(encodeScore(position[0], position[1])), argv[j + 2]);
  }
  c.engine.rewriteEffect(zadd);
  zaddCommand(c, zadd);
}

function geodist(c: Client, argv: string[]): void {
  let toMeters = 1;
  if (argv.length === 5) {
    const unit = parseUnitOrReply(c, argv[4]);
    if (unit === null) return;
    toMeters = unit;
  } else if (argv.length > 5) return c.reply.error(SYNTAX);
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  const a = z?.score(argv[2]);
  const b = a === undefined ? undefined : z?.score(argv[3]);
  if (a === undefined || b === undefined) return c.reply.nil();
  const [lon1, lat1] = decodeScore(a);
  const [lon2, lat2] = decodeScore(b);
  c.reply.bulk(fixed(distance(lon1, lat1, lon2, lat2) / toMeters, 4));
}

function geohash(c: Client, argv: string[]): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) c.reply.nil();
    else c.reply.bulk(geohashString(score));
  }
}

function geopos(c: Client, argv: string[]): void {
  const z = readableOrReply(c, argv[1], ZSet);
  if (z === null) return;
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) {
      c.reply.nilArray();
      continue;
    }
    const [lon, lat] = decodeScore(score);
    c.reply.array(2);
    replyCoordinate(c, lon);
    replyCoordinate(c, lat);
  }
}

// ---------------------------------------------------------------- searches

const enum Kind {
  /** GEORADIUS: centre and radius in fixed positions. */
  Coords = 1,
  /** GEORADIUSBYMEMBER. */
  Member = 2,
  /** The _RO forms: no STORE. */
  NoStore = 4,
  /** GEOSEARCH and GEOSEARCHSTORE: FROM* and BY* options. */
  Search = 8,
  SearchStore = 16,
}

const enum Order {
  None,
  Asc,
  Desc,
}

interface SearchOptions {
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  order: Order;
  any: boolean;
  /** 0: no limit. */
  count: number;
  store: string | null;
  storeDist: boolean;
}

/** What a search matched: a member, its score, decoded position and distance (meters, V8's: to sort by). */
interface GeoPoint {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/** The centre and size given so far; a member centre on a missing key stays unknown. */
interface ShapeParts {
  center: [number, number] | null;
  size: ({ radius: number } | { width: number; height: number }) | null;
  conversion: number;
  fromMember: boolean;
}

/**
 * The options after `at` (georadiusGeneric's loop), completing `parts` for GEOSEARCH;
 * null after an error reply. `z` is the source (undefined when missing: FROMMEMBER is
 * then accepted unchecked).
 */
function parseSearchOptionsOrReply(c: Client, argv: string[], at: number, kind: Kind, z: ZSet | undefined, parts: ShapeParts): SearchOptions | null {
  const store = (kind & Kind.SearchStore) !== 0 ? argv[1] : null;
  const o: SearchOptions = { withDist: false, withHash: false, withCoord: false, order: Order.None, any: false, count: 0, store, storeDist: false };
  const search = (kind & Kind.Search) !== 0;
  const canStore = (kind & (Kind.NoStore | Kind.Search)) === 0;
  let fromLonLat = false;
  for (let j = at; j < argv.length; j++) {
    const arg = argv[j];
    const left = argv.length - j - 1;
    if (isOption(arg, 'withdist')) o.withDist = true;
    else if (isOption(arg, 'withhash')) o.withHash = true;
    else if (isOption(arg, 'withcoord')) o.withCoord = true;
    else if (isOption(arg, 'any')) o.any = true;
    else if (isOption(arg, 'asc')) o.order = Order.Asc;
    else if (isOption(arg, 'desc')) o.order = Order.Desc;
    else if (isOption(arg, 'count') && left >= 1) {
      const count = parseInt64(argv[++j]);
      if (count === null) return replyNull(c, NOT_INTEGER);
      if (count <= 0) return replyNull(c, GEO_COUNT_NOT_POSITIVE);
      o.count = Number(count);
    } else if ((isOption(arg, 'store') || isOption(arg, 'storedist')) && left >= 1 && canStore) {
      o.store = argv[++j];
      o.storeDist = isOption(arg, 'storedist');
    } else if (isOption(arg, 'storedist') && (kind & Kind.SearchStore) !== 0) o.storeDist = true;
    else if (isOption(arg, 'frommember') && left >= 1 && search && !fromLonLat) {
      const member = argv[++j];
      parts.fromMember = true;
      if (z === undefined) continue;
      parts.center = memberPositionOrReply(c, z, member);
      if (parts.center === null) return null;
    } else if (isOption(arg, 'fromlonlat') && left >= 2 && search && !parts.fromMember) {
      parts.center = parseLonLatOrReply(c, argv[j + 1], argv[j + 2]);
      if (parts.center === null) return null;
      fromLonLat = true;
      j += 2;
    } else if (isOption(arg, 'byradius') && left >= 2 && search && !(parts.size !== null && 'width' in parts.size)) {
      const r = parseRadiusOrReply(c, argv[j + 1], argv[j + 2]);
      if (r === null) return null;
      parts.size = { radius: r.radius };
      parts.conversion = r.conversion;
      j += 2;
    } else if (isOption(arg, 'bybox') && left >= 3 && search && !(parts.size !== null && 'radius' in parts.size)) {
      const box = parseBoxOrReply(c, argv, j + 1);
      if (box === null) return null;
      parts.size = { width: box.width, height: box.height };
      parts.conversion = box.conversion;
      j += 3;
    } else return replyNull(c, SYNTAX);
  }
  return o;
}

function replyNull(c: Client, error: string): null {
  c.reply.error(error);
  return null;
}

/** The checks georadiusGeneric makes once all options are read; false after an error reply. */
function validSearchOrReply(c: Client, argv: string[], kind: Kind, o: SearchOptions, parts: ShapeParts): boolean {
  if (o.store !== null && (o.withDist || o.withHash || o.withCoord)) {
    c.reply.error(GEO_STORE_WITH_OPTIONS((kind & Kind.SearchStore) !== 0 ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'));
    return false;
  }
  if ((kind & Kind.Search) !== 0 && !(parts.fromMember || parts.center !== null)) {
    c.reply.error(GEO_FROM_NEEDED(argv[0]));
    return false;
  }
  if ((kind & Kind.Search) !== 0 && parts.size === null) {
    c.reply.error(GEO_BY_NEEDED(argv[0]));
    return false;
  }
  if (o.any && o.count === 0) {
    c.reply.error(GEO_ANY_NEEDS_COUNT);
    return false;
  }
  return true;
}

/** geoGetPointsInRange: the members of one cell inside the shape, until `limit` points (0: all). */
function collectCell(z: ZSet, cell: Cell, shape: Shape, points: GeoPoint[], limit: number): void {
  const [min, max] = cellScoreRange(cell);
  const range: ScoreRange = { min, max, minex: false, maxex: true };
  z.walk(z.firstInScoreRange(range), false, (member, score) => {
    if (!scoreLteMax(score, range)) return false;
    const [lon, lat] = decodeScore(score);
    const dist = distanceIfWithin(shape, lon, lat);
    if (dist !== null) points.push({ member, score, lon, lat, dist });
    return !(limit > 0 && points.length >= limit);
  });
}

/**
 * membersOfAllNeighbors: the points of the nine cells in Redis's order. A cell equal to
 * the one processed just before is skipped (huge radii make neighbours coincide), as
 * Redis compares, never against the centre.
 */
function collectPoints(z: ZSet, shape: Shape, limit: number): GeoPoint[] {
  const cells = searchCells(shape);
  const points: GeoPoint[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null) continue;
    const prev = cells[last];
    if (last !== 0 && prev !== null && prev.lat === cell.lat && prev.lon === cell.lon && prev.step === cell.step) continue;
    if (limit > 0 && points.length >= limit) break;
    collectCell(z, cell, shape, points, limit);
    last = i;
  }
  return points;
}

/** sort_gp_asc, as written (a NaN distance compares below everything). */
function byDistance(a: GeoPoint, b: GeoPoint): number {
  if (a.dist > b.dist) return 1;
  return a.dist === b.dist ? 0 : -1;
}

/** A matched point's distance from the centre in the search's unit, to the bit as redis-server computes it. */
function shownDistance(shape: Shape, p: GeoPoint): number {
  return distance(shape.lon, shape.lat, p.lon, p.lat) / shape.conversion;
}

function replyPoints(c: Client, points: readonly GeoPoint[], n: number, o: SearchOptions, shape: Shape): void {
  const reply = c.reply;
  const extras = (o.withDist ? 1 : 0) + (o.withHash ? 1 : 0) + (o.withCoord ? 1 : 0);
  reply.array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i];
    if (extras > 0) reply.array(extras + 1);
    reply.bulk(p.member);
    if (o.withDist) reply.bulk(fixed(shownDistance(shape, p), 4));
    if (o.withHash) reply.int(Math.trunc(p.score));
    if (o.withCoord) {
      reply.array(2);
      replyCoordinate(c, p.lon);
      replyCoordinate(c, p.lat);
    }
  }
}

/**
 * georadiusGeneric: every search command. `src` is the source key's position; the
 * centre and size come at fixed positions (GEORADIUS*) or as options (GEOSEARCH*).
 */
function geosearch(c: Client, argv: string[], src: number, kind: Kind): void {
  const z = readableOrReply(c, argv[src], ZSet);
  if (z === null) return;
  const parts: ShapeParts = { center: null, size: null, conversion: 1, fromMember: false };
  let at = kind & Kind.SearchStore ? 3 : 2;
  if (kind & Kind.Coords) {
    parts.center = parseLonLatOrReply(c, argv[2], argv[3]);
    if (parts.center === null) return;
    const r = parseRadiusOrReply(c, argv[4], argv[5]);
    if (r === null) return;
    parts.size = { radius: r.radius };
    parts.conversion = r.conversion;
    at = 6;
  } else if (kind & Kind.Member) {
    at = 5;
    // Without a source there is nothing to search: the options are still checked.
    if (z !== undefined) {
      parts.center = memberPositionOrReply(c, z, argv[2]);
      if (parts.center === null) return;
      const r = parseRadiusOrReply(c, argv[3], argv[4]);
      if (r === null) return;
      parts.size = { radius: r.radius };
      parts.conversion = r.conversion;
    }
  }
  const o = parseSearchOptionsOrReply(c, argv, at, kind, z, parts);
  if (o === null || !validSearchOrReply(c, argv, kind, o, parts)) return;
  const store = o.store;
  const event = kind & Kind.Search ? 'geosearchstore' : 'georadiusstore';
  if (z === undefined || parts.center === null || parts.size === null) {
    if (store !== null) return storeResult(c, store, [], event);
    return c.reply.array(0);
  }
  const shape: Shape = { lon: parts.center[0], lat: parts.center[1], conversion: parts.conversion, ...parts.size };
  // COUNT without an order takes the nearest (ANY takes the first found).
  const order = o.count !== 0 && o.order === Order.None && !o.any ? Order.Asc : o.order;
  const points = collectPoints(z, shape, o.any ? o.count : 0);
  if (order !== Order.None) points.sort(order === Order.Asc ? byDistance : (a, b) => -byDistance(a, b));
  const n = o.count === 0 ? points.length : Math.min(o.count, points.length);
  if (store === null) return replyPoints(c, points, n, o, shape);
  const items: Scored[] = [];
  for (let i = 0; i < n; i++) items.push({ member: points[i].member, score: o.storeDist ? shownDistance(shape, points[i]) : points[i].score });
  storeResult(c, store, items, event, n);
}

export const geoCommands: readonly CommandDef<Client>[] = [
  { name: 'geoadd', handler: geoadd },
  { name: 'geodist', handler: geodist },
  { name: 'geohash', handler: geohash },
  { name: 'geopos', handler: geopos },
  { name: 'geosearch', handler: (c, argv) => geosearch(c, argv, 1, Kind.Search) },
  { name: 'geosearchstore', handler: (c, argv) => geosearch(c, argv, 2, Kind.Search | Kind.SearchStore) },
  { name: 'georadius', handler: (c, argv) => geosearch(c, argv, 1, Kind.Coords) },
  { name: 'georadius_ro', handler: (c, argv) => geosearch(c, argv, 1, Kind.Coords | Kind.NoStore) },
  { name: 'georadiusbymember', handler: (c, argv) => geosearch(c, argv, 1, Kind.Member) },
  { name: 'georadiusbymember_ro', handler: (c, argv) => geosearch(c, argv, 1, Kind.Member | Kind.NoStore) },
];
