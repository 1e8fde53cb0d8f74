/**
 * SORT and SORT_RO, as redis-server 7.0's sort.c: lists, sets and sorted sets, sorted
 * numerically (ties by the elements' bytes) or with ALPHA, by the elements or by the
 * keys a BY pattern names (`*` replaced by the element, `->field` reading a hash), a
 * constant BY pattern (`nosort`) keeping the native order (a list's, a sorted set's;
 * LIMIT then reads only the range), GET patterns (`#` for the element itself), LIMIT,
 * ASC/DESC, and SORT's STORE into a list (deleted when the result is empty).
 *
 * As in Redis: a set with a constant BY and STORE, or in a script, is sorted with ALPHA
 * anyway (so what is stored or replicated does not depend on a hash table's order); SORT turns a listpack sorted
 * set into a skiplist for good, so OBJECT ENCODING says `skiplist` afterwards; a value
 * that is not a number fails the whole command ("One or more scores can't be converted
 * into double") after the lookups, a missing BY key sorts as 0 (numeric) or first (ALPHA).
 * Effects: SORT ... STORE goes out as it is (`sortstore` event, `del` for an empty result).
 *
 * Where this differs: ALPHA compares bytes, which is what redis-server's strcoll does
 * under the C and C.UTF-8 locales only; elements that tie under BY ... ALPHA keep the
 * order they were read in (Redis's qsort is a stable merge sort, its partial sort for
 * BY with LIMIT is ported as it is), which for a hashtable set or a sorted set without
 * a constant BY is redis-server's dict order, here our own. redis-server
 * does not clear errno before its strtod, so a number out of range read earlier in the
 * same batch of commands can fail a later SORT there; not here.
 */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import type { Db, Value } from '../keyspace.js';
import { NOT_INTEGER, SORT_NOT_DOUBLE, SYNTAX, WRONGTYPE } from '../errors.js';
import { List } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { ZSet } from '../types/zset.js';
import { Hash } from '../types/hash.js';
import { LargeString, valueBytes, type StringValue } from '../types/large-string.js';
import { parseSortDouble } from '../util/double.js';
import { parseInt64 } from '../util/int64.js';
import { isOption } from '../util/option.js';
import { pqsort } from '../util/pqsort.js';
import { notify, NotifyFlag } from '../notify.js';

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  store: string | null;
  by: string | null;
  /** A BY pattern without `*` was given (it stays set even if a later BY has one, as in Redis). */
  dontSort: boolean;
  gets: string[];
}

/** An element to sort and what it sorts by. */
interface SortItem {
  element: string;
  score: number;
  /** ALPHA with BY: the looked-up value, null when missing. */
  by: string | null;
}

/** The part of a string up to its first NUL, as C string functions see it. */
function cPart(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** sortCommandGeneric's option loop; null after an error reply. */
function parseSortOptionsOrReply(c: Client, argv: string[], readonly: boolean): SortOptions | null {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, store: null, by: null, dontSort: false, gets: [] };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const arg = argv[j];
    if (isOption(arg, 'asc')) o.desc = false;
    else if (isOption(arg, 'desc')) o.desc = true;
    else if (isOption(arg, 'alpha')) o.alpha = true;
    else if (isOption(arg, 'limit') && left >= 2) {
      const start = parseInt64(argv[j + 1]);
      const count = start === null ? null : parseInt64(argv[j + 2]);
      if (start === null || count === null) {
        c.reply.error(NOT_INTEGER);
        return null;
      }
      o.limitStart = Number(start);
      o.limitCount = Number(count);
      j += 2;
    } else if (!readonly && isOption(arg, 'store') && left >= 1) o.store = argv[++j];
    else if (isOption(arg, 'by') && left >= 1) {
      o.by = argv[++j];
      if (!cPart(o.by).includes('*')) o.dontSort = true;
    } else if (isOption(arg, 'get') && left >= 1) o.gets.push(argv[++j]);
    else {
      c.reply.error(SYNTAX);
      return null;
    }
  }
  return o;
}

/**
 * lookupKeyByPattern: the string value of the key `pattern` names for `element` (its
 * first `*` replaced), or the hash field after `->`; `#` is the element itself. Null
 * when the pattern has no `*` or the key, field or type is not there.
 */
function lookupByPattern(db: Db, pattern: string, element: string): StringValue | null {
  const c = cPart(pattern);
  if (c === '#') return element;
  const star = c.indexOf('*');
  if (star < 0) return null;
  const arrow = c.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < c.length;
  const fieldLength = hasField ? pattern.length - arrow - 2 : 0;
  const postfixLength = pattern.length - star - 1 - (hasField ? fieldLength + 2 : 0);
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, star + 1 + postfixLength);
  const v = db.lookupRead(key);
  if (v === undefined) return null;
  if (hasField) return v instanceof Hash ? (v.get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof v === 'string' || v instanceof LargeString ? v : null;
}

function asText(v: StringValue): string {
  return typeof v === 'string' ? v : v.view().latin1Slice();
}

/** LIMIT clamped to the length, as Redis does: [start, end], empty when end < start. */
function limitRange(o: SortOptions, length: number): [number, number] {
  let start = Math.min(Math.max(o.limitStart, 0), length);
  const count = Math.min(Math.max(o.limitCount, -1), length);
  let end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  return [start, Math.min(end, length - 1)];
}

/**
 * The elements to sort: with a constant BY a list or sorted set gives only the LIMIT
 * range, in its own order (reversed for DESC), and the range becomes the whole vector.
 */
function loadElements(v: Value | undefined, o: SortOptions, range: [number, number]): string[] {
  const [start, end] = range;
  const n = end - start + 1;
  if (v instanceof List) {
    const count = o.dontSort ? Math.max(n, 0) : v.length;
    const out: string[] = [];
    if (count === 0) return out;
    const cursor = o.dontSort ? v.cursor(o.desc ? v.length - start - 1 : start, o.desc) : v.cursor(0, false);
    for (let i = 0; i < count; i++) out.push(cursor.next()!);
    return out;
  }
  if (v instanceof SetValue) return v.memberList();
  if (v instanceof ZSet) {
    const out: string[] = [];
    if (!o.dontSort) {
      v.walk(0, false, (member) => (out.push(member), true));
      return out;
    }
    if (n <= 0) return out;
    v.walk(o.desc ? v.size - 1 - start : start, o.desc, (member) => (out.push(member), out.length < n));
    return out;
  }
  return [];
}

/** Binary comparison (compareStringObjects): JS order of latin1 strings is memcmp's. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll under the C locale: bytes, up to the first NUL. */
function compareCollated(a: string, b: string): number {
  return compareBytes(cPart(a), cPart(b));
}

/** sortCompare. */
function sortComparator(o: SortOptions): (a: SortItem, b: SortItem) => number {
  const sign = o.desc ? -1 : 1;
  const strings = o.store !== null ? compareBytes : compareCollated;
  if (!o.alpha) return (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element));
  if (o.by === null) return (a, b) => sign * strings(a.element, b.element);
  return (a, b) => {
    if (a.by === null || b.by === null) return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
    return sign * strings(a.by, b.by);
  };
}

/** Scores (or ALPHA's BY values) of the elements; null when one is not a number. */
function weigh(db: Db, elements: readonly string[], o: SortOptions): SortItem[] | null {
  const items: SortItem[] = [];
  let failed = false;
  for (const element of elements) {
    const item: SortItem = { element, score: 0, by: null };
    items.push(item);
    const value = o.by === null ? element : lookupByPattern(db, o.by, element);
    if (value === null) continue;
    if (o.alpha) {
      if (o.by !== null) item.by = asText(value);
      continue;
    }
    const score = parseSortDouble(asText(value));
    if (score === null) failed = true;
    else item.score = score;
  }
  return failed ? null : items;
}

function replySorted(c: Client, items: readonly SortItem[], start: number, end: number, gets: readonly string[]): void {
  const reply = c.reply;
  reply.array(gets.length > 0 ? gets.length * (end - start + 1) : end - start + 1);
  for (let j = start; j <= end; j++) {
    if (gets.length === 0) reply.bulk(items[j].element);
    for (const get of gets) {
      const v = lookupByPattern(c.db, get, items[j].element);
      if (v === null) reply.nil();
      else if (typeof v === 'string') reply.bulk(v);
      else reply.bulkBytes(valueBytes(v));
    }
  }
}

/** STORE: the result as a list at `dst` (a missing GET value is ""), or `dst` deleted. */
function storeSorted(c: Client, dst: string, items: readonly SortItem[], start: number, end: number, gets: readonly string[]): void {
  const db = c.db;
  const list = new List();
  for (let j = start; j <= end; j++) {
    if (gets.length === 0) list.push(items[j].element, false);
    for (const get of gets) {
      const v = lookupByPattern(db, get, items[j].element);
      list.push(v === null ? '' : asText(v), false);
    }
  }
  if (list.length > 0) {
    db.set(dst, list);
    notify(c.engine, NotifyFlag.List, 'sortstore', dst, db.id);
    c.engine.keyChanged(db, dst, list.length);
  } else if (db.delete(dst)) {
    c.engine.keyChanged(db, dst);
    notify(c.engine, NotifyFlag.Generic, 'del', dst, db.id);
  }
  c.reply.int(list.length);
}

/** sortCommandGeneric. */
function sort(c: Client, argv: string[], readonly: boolean): void {
  const o = parseSortOptionsOrReply(c, argv, readonly);
  if (o === null) return;
  const v = c.db.lookupRead(argv[1]);
  if (v !== undefined && !(v instanceof List) && !(v instanceof SetValue) && !(v instanceof ZSet)) return c.reply.error(WRONGTYPE);
  // A set has no order of its own to keep: what is stored, or what a script sees, must not depend on it.
  if (o.dontSort && v instanceof SetValue && (o.store !== null || c.scriptKeys !== null)) {
    o.dontSort = false;
    o.alpha = true;
    o.by = null;
  }
  if (v instanceof ZSet) v.toSkiplist();
  const length = v instanceof List ? v.length : v instanceof SetValue || v instanceof ZSet ? v.size : 0;
  let [start, end] = limitRange(o, length);
  const elements = loadElements(v, o, [start, end]);
  let items: SortItem[] | null = elements.map((element) => ({ element, score: 0, by: null }));
  if (o.dontSort && !(v instanceof SetValue)) {
    end -= start;
    start = 0;
  } else if (!o.dontSort) {
    items = weigh(c.db, elements, o);
    if (items === null) return c.reply.error(SORT_NOT_DOUBLE);
    // A partial range sorted by BY uses Redis's partial quicksort, whose order of ties shows.
    if (o.by !== null && (start !== 0 || end !== items.length - 1)) pqsort(items, sortComparator(o), start, end);
    else items.sort(sortComparator(o));
  }
  if (o.store !== null) return storeSorted(c, o.store, items, start, end, o.gets);
  replySorted(c, items, start, end, o.gets);
}

export const sortCommands: readonly CommandDef<Client>[] = [
  { name: 'sort', handler: (c, argv) => sort(c, argv, false) },
  { name: 'sort_ro', handler: (c, argv) => sort(c, argv, true) },
];
