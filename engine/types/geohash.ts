/**
 * Geohashes as redis-server 7.0 keeps positions in sorted set scores (geohash.c and
 * geohash_helper.c, ported step for step so scores, decoded coordinates, distances and
 * the cells a search visits are the same doubles): longitude and latitude, each scaled
 * to a 26-bit cell index over [-180, 180] and [-85.05112878, 85.05112878], interleaved
 * (latitude in the even bits) into a 52-bit integer score.
 *
 * A cell is kept as its two indexes and its step (bits per coordinate) instead of the
 * interleaved 64-bit word Redis moves around: moving to a neighbour is then index
 * arithmetic modulo 2^step (what geohash_move_x/y do with masks), and every value fits
 * a double exactly. The interleaved code is built only to find a cell's score range.
 *
 * Distances are computed with correctly rounded sin, cos and asin (engine/util/cr-math.ts),
 * which is what glibc returns for nearly every argument; V8's own differ in the last
 * bit for several percent of them. Where this may still differ: about 0.3% of distances
 * in their last bit (visible only in STOREDIST scores, or for a point exactly on a
 * search's edge).
 */
import { asinCR, cosCR, sinCR } from '../util/cr-math.js';


const GEO_STEP_MAX = 26;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;

const D_R = Math.PI / 180.0;
/** Earth's quadratic mean radius for WGS-84, as Redis uses it. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;

interface Range {
  min: number;
  max: number;
}

const LONG_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of standard geohash strings (GEOHASH re-encodes with them). */
const STANDARD_LAT_RANGE: Range = { min: -90, max: 90 };

/** A geohash cell: latitude and longitude indexes of `step` bits each. */
export interface Cell {
  lat: number;
  lon: number;
  step: number;
}

/** A cell's extent in degrees (GeoHashArea). */
export interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** A search shape (GeoShape): a radius or a width and height, in the unit `conversion` converts to meters. */
export type Shape = { lon: number; lat: number; conversion: number } & ({ radius: number } | { width: number; height: number });

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

// ---------------------------------------------------------------- bit interleaving

/** The low 16 bits of `v` spread to the even bits of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  return (v | (v << 1)) & 0x55555555;
}

/** The even bits of a 32-bit word gathered into 16 bits (the inverse of spread16). */
function squash16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  return (v | (v >>> 8)) & 0x0000ffff;
}

/** interleave64: `lat`'s bits at the even positions, `lon`'s at the odd ones (both below 2^32). */
function interleave(lat: number, lon: number): number {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return hi * TWO_32 + lo;
}

/** The 52-bit score of a cell's first point (geohashAlign52Bits). */
function cellScore(cell: Cell): number {
  return interleave(cell.lat, cell.lon) * 2 ** (52 - cell.step * 2);
}

/** A cell's scores: [min, max) (scoresOfGeoHashBox: the interleaved code and the next one, aligned). */
export function cellScoreRange(cell: Cell): [number, number] {
  const scale = 2 ** (52 - cell.step * 2);
  const code = interleave(cell.lat, cell.lon);
  return [code * scale, (code + 1) * scale];
}

/**
 * The 64-bit word C's `(uint64_t)score` gives on x86-64, as two 32-bit halves: in range
 * the integer part; a negative score wraps; 2^63 and above (and infinities) go through
 * the compiler's `x - 2^63` path, so a huge score becomes 0 and -inf 2^63.
 */
function scoreWord(score: number): [number, number] {
  if (score >= 0 && score < TWO_63) {
    const v = Math.trunc(score);
    if (v < 2 ** 53) return [Math.floor(v / TWO_32), v % TWO_32];
    const b = BigInt(v);
    return [Number(b >> 32n), Number(b & 0xffffffffn)];
  }
  if (score >= TWO_63) {
    const rest = score - TWO_63;
    // cvttsd2si of an out-of-range value is 2^63, which the xor cancels.
    if (!(rest < TWO_63)) return [0, 0];
    const b = BigInt(Math.trunc(rest)) ^ (1n << 63n);
    return [Number(b >> 32n), Number(b & 0xffffffffn)];
  }
  if (score > -TWO_63) {
    const b = BigInt.asUintN(64, BigInt(Math.trunc(score)));
    return [Number(b >> 32n), Number(b & 0xffffffffn)];
  }
  return [0x80000000, 0];
}

// ---------------------------------------------------------------- encoding and decoding

/** geohashEncode: the cell of `step` bits holding the point, or null outside the ranges. */
function encode(lonRange: Range, latRange: Range, lon: number, lat: number, step: number): Cell | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < latRange.min || lat > latRange.max || lon < lonRange.min || lon > lonRange.max) return null;
  const latOffset = ((lat - latRange.min) / (latRange.max - latRange.min)) * 2 ** step;
  const lonOffset = ((lon - lonRange.min) / (lonRange.max - lonRange.min)) * 2 ** step;
  // The offsets become uint32_t: truncated.
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step };
}

/** The cell of a valid position at full precision (geohashEncodeWGS84 with GEO_STEP_MAX). */
function encodeCell(lon: number, lat: number, step = GEO_STEP_MAX): Cell | null {
  return encode(LONG_RANGE, LAT_RANGE, lon, lat, step);
}

/** The score GEOADD stores for a valid position. */
export function encodeScore(lon: number, lat: number): number {
  return cellScore(encodeCell(lon, lat)!);
}

/** geohashDecode: the cell's extent (indexes past 2^step, from odd scores, overflow as uint32 does). */
function decode(lonRange: Range, latRange: Range, cell: Cell): Area {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const cells = 2 ** cell.step;
  return {
    latMin: latRange.min + ((cell.lat * 1.0) / cells) * latScale,
    latMax: latRange.min + (((cell.lat + 1) >>> 0) / cells) * latScale,
    lonMin: lonRange.min + ((cell.lon * 1.0) / cells) * lonScale,
    lonMax: lonRange.min + (((cell.lon + 1) >>> 0) / cells) * lonScale,
  };
}

function decodeArea(cell: Cell): Area {
  return decode(LONG_RANGE, LAT_RANGE, cell);
}

/**
 * The position a score stands for (decodeGeohash): the centre of its 26-bit cell,
 * clamped to the valid ranges (a score that is no geohash still decodes to something).
 */
export function decodeScore(score: number): [number, number] {
  let hi: number;
  let lo: number;
  // Every score GEOADD writes is an integer below 2^52: no BigInt on that path.
  if (score >= 0 && score < 2 ** 53 && Number.isInteger(score)) {
    hi = Math.floor(score / TWO_32);
    lo = score - hi * TWO_32;
  } else [hi, lo] = scoreWord(score);
  const lat = (squash16(lo) | (squash16(hi) << 16)) >>> 0;
  const lon = (squash16(lo >>> 1) | (squash16(hi >>> 1) << 16)) >>> 0;
  const area = decodeArea({ lat, lon, step: GEO_STEP_MAX });
  const x = Math.min(Math.max((area.lonMin + area.lonMax) / 2, GEO_LONG_MIN), GEO_LONG_MAX);
  const y = Math.min(Math.max((area.latMin + area.latMax) / 2, GEO_LAT_MIN), GEO_LAT_MAX);
  return [x, y];
}

const GEO_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * The standard 11-character geohash string of a score (geohashCommand): decoded, then
 * re-encoded over latitudes [-90, 90]; the 11th character stands for bits Redis lacks.
 */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const cell = encode(LONG_RANGE, STANDARD_LAT_RANGE, lon, lat, GEO_STEP_MAX)!;
  const code = interleave(cell.lat, cell.lon);
  let out = '';
  for (let i = 0; i < 10; i++) out += GEO_ALPHABET[Math.floor(code / 2 ** (52 - (i + 1) * 5)) % 32];
  return out + '0';
}

// ---------------------------------------------------------------- distances

interface Trig {
  sin(x: number): number;
  cos(x: number): number;
  asin(x: number): number;
}

/** libm as redis-server's glibc rounds it (in all but rare cases), and V8's faster one. */
const EXACT: Trig = { sin: sinCR, cos: cosCR, asin: asinCR };
const ROUGH: Trig = Math;

/**
 * geohashGetDistance with the given functions: haversine great-circle distance in
 * meters; along a meridian the arc itself (geohashGetLatDistance), as 7.0.15 does.
 */
function haversine(f: Trig, lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = f.sin((lon2r - lon1r) / 2);
  if (v === 0) return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = f.sin((lat2r - lat1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * f.asin(Math.sqrt(u * u + f.cos(lat1r) * f.cos(lat2r) * v * v));
}

/** geohashGetDistance: the distance in meters, to the bit as redis-server computes it. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  return haversine(EXACT, lon1d, lat1d, lon2d, lat2d);
}

/**
 * Whether two points are more than `limit` meters apart, as redis-server decides it:
 * V8's functions (off by an ulp at most) decide unless the distance is within a hair
 * of the limit, where the exact ones do.
 */
function farther(limit: number, lon1d: number, lat1d: number, lon2d: number, lat2d: number): boolean {
  const rough = haversine(ROUGH, lon1d, lat1d, lon2d, lat2d);
  const margin = limit * 1e-9 + 1e-6;
  if (rough > limit + margin) return true;
  if (rough < limit - margin) return false;
  return distance(lon1d, lat1d, lon2d, lat2d) > limit;
}

/**
 * geoWithinShape for a decoded point: its distance from the centre in meters when it
 * is inside the shape (a box: within half the width along its parallel and half the
 * height along its meridian), else null. The distance is V8's (to order points by;
 * `distance` gives the one to show), the decision redis-server's.
 */
export function distanceIfWithin(shape: Shape, lon: number, lat: number): number | null {
  if ('radius' in shape) {
    if (farther(shape.radius * shape.conversion, shape.lon, shape.lat, lon, lat)) return null;
  } else {
    const width = shape.width * shape.conversion;
    const height = shape.height * shape.conversion;
    if (farther(width / 2, lon, lat, shape.lon, lat) || farther(height / 2, lon, lat, lon, shape.lat)) return null;
  }
  return haversine(ROUGH, shape.lon, shape.lat, lon, lat);
}

// ---------------------------------------------------------------- the cells of a search

/** geohashEstimateStepsByRadius: the step whose cells are about the radius wide. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2; // Make sure the range is included in most of the base cases.
  // Wider range towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(Math.max(step, 1), 26);
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const { lon, lat, conversion } = shape;
  const height = conversion * ('radius' in shape ? shape.radius : shape.height / 2);
  const width = conversion * ('radius' in shape ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  // The box is widest at its top in the northern hemisphere, at its bottom in the southern.
  const lonDelta = lat < 0 ? lonDeltaBottom : lonDeltaTop;
  return [lon - lonDelta, lat - latDelta, lon + lonDelta, lat + latDelta];
}

/**
 * A cell moved by `dx` in longitude and `dy` in latitude, wrapping as geohash_move_x/y
 * do. Only a coordinate that moves is masked to the step: a centre on the 180th
 * meridian or the top latitude has an index of 2^step, which the unmoved coordinate of
 * a neighbour keeps (its cell then holds no score, as in Redis).
 */
function moved(cell: Cell, dx: number, dy: number): Cell {
  const size = 2 ** cell.step;
  const lat = dy === 0 ? cell.lat : (cell.lat + dy + size) % size;
  const lon = dx === 0 ? cell.lon : (cell.lon + dx + size) % size;
  return { lat, lon, step: cell.step };
}

/**
 * geohashCalculateAreasByShapeWGS84 and membersOfAllNeighbors' order: the centre's
 * cell, then north, south, east, west, north-east, north-west, south-east, south-west;
 * a neighbour the bounding box does not reach is null.
 */
export function searchCells(shape: Shape): (Cell | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters =
    ('radius' in shape ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) *
    shape.conversion;
  let steps = estimateSteps(radiusMeters, shape.lat);
  let cell = encodeCell(shape.lon, shape.lat, steps)!;
  // A step too coarse for the box near a cell's edge: one of the four sides does not cover it.
  const north = decodeArea(moved(cell, 0, 1));
  const south = decodeArea(moved(cell, 0, -1));
  const east = decodeArea(moved(cell, 1, 0));
  const west = decodeArea(moved(cell, -1, 0));
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    cell = encodeCell(shape.lon, shape.lat, steps)!;
  }
  const area = decodeArea(cell);
  // Leave out the neighbours outside the bounding box.
  const skipSouth = steps >= 2 && area.latMin < minLat;
  const skipNorth = steps >= 2 && area.latMax > maxLat;
  const skipWest = steps >= 2 && area.lonMin < minLon;
  const skipEast = steps >= 2 && area.lonMax > maxLon;
  const at = (dx: number, dy: number): Cell | null =>
    (dy > 0 && skipNorth) || (dy < 0 && skipSouth) || (dx > 0 && skipEast) || (dx < 0 && skipWest) ? null : moved(cell, dx, dy);
  return [cell, at(0, 1), at(0, -1), at(1, 0), at(-1, 0), at(1, 1), at(-1, 1), at(1, -1), at(-1, -1)];
}
