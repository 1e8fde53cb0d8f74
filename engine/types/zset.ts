/**
 * The sorted set type, in the two encodings redis-server 7.0 gives one (t_zset.c):
 *
 * - `listpack` while the set has at most zset-max-listpack-entries members and none
 *   longer than zset-max-listpack-value bytes: one packed string, as a listpack is one
 *   allocation (the set is a PackedStrings, engine/types/packed-strings.ts), of each
 *   member and its score in turn, in (score, member) order, with no index. A score is
 *   kept as its shortest text (`String`, which reads back as the same double;
 *   redis-server's listpack keeps integer scores as integers and others as text
 *   too). A member is found, and a new one placed, by a linear scan, O(n) as in
 *   redis-server's listpack, for n of at most 128 by default. Ten members take about
 *   200 bytes where parallel arrays took 350.
 * - `skiplist` from the first change that breaks either rule, for good (a result built
 *   anew, as ZUNIONSTORE's, starts small again): where redis-server keeps a skiplist
 *   with spans, a B+tree with counts (engine/types/ranked-tree.ts: ranks in O(log n)
 *   as well, fewer cache misses a search, dense positions for ZSCAN's cursors), which
 *   also finds a member's entry in O(1) (engine/types/member-index.ts, where
 *   redis-server keeps a dict). The encoding keeps redis-server's name, which OBJECT
 *   ENCODING reports.
 *
 * Everything outside this module addresses members by rank (0-based, in (score,
 * member) order), so the two encodings answer the same calls. A listpack holds a -0
 * score as 0, a skiplist keeps -0, as redis-server's replies show.
 *
 * Members compare as JS strings of latin1 code units, i.e. byte by byte as memcmp.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { formatDouble } from '../../protocol/reply.js';
import { DenseTable, scanPositions, type ScanTable } from './dense-table.js';
import { RankedTree } from './ranked-tree.js';
import { PackedStrings } from './packed-strings.js';
import { decimalIntegerIn } from '../util/double.js';

/** A score interval (zrangespec); `minex`/`maxex` exclude the bound. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lexicographic interval (zlexrangespec): a bound is a member, or -Infinity/Infinity
 * for `-` and `+`; `minex`/`maxex` exclude the bound.
 */
export interface LexRange {
  min: string | number;
  max: string | number;
  minex: boolean;
  maxex: boolean;
}

export function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minex ? score > r.min : score >= r.min;
}

export function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxex ? score < r.max : score <= r.max;
}

function lexCompare(member: string, bound: string | number): number {
  if (typeof bound === 'number') return bound < 0 ? 1 : -1;
  return member < bound ? -1 : member > bound ? 1 : 0;
}

export function lexGteMin(member: string, r: LexRange): boolean {
  const c = lexCompare(member, r.min);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(member: string, r: LexRange): boolean {
  const c = lexCompare(member, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

/** zslIsInRange: false when no score can be in `r`. */
function scoreRangeNonEmpty(r: ScoreRange): boolean {
  return !(r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
}

/** zslIsInLexRange's first test: false when no member can be in `r`. */
function lexRangeNonEmpty(r: LexRange): boolean {
  const { min, max } = r;
  if (typeof min === 'number' && typeof max === 'number') return min < max;
  if (typeof min === 'number') return min < 0;
  if (typeof max === 'number') return max > 0;
  return !(min > max || (min === max && (r.minex || r.maxex)));
}

/** The large encoding's parts: the ordered tree (with its member lookup), and the members' bytes together (for the memory accounting, engine/memory.ts). */
interface Large {
  list: RankedTree;
  chars: number;
}


/** A score as the listpack encoding keeps it: its shortest text, which reads back as the same double. */
function scoreText(score: number): string {
  return String(score);
}

/**
 * A score kept by `scoreText`, as `length` chars of `text` from `start`: integers
 * (times, counters: the common case) read in place, others by Number.
 */
function scoreIn(text: string, start: number, length: number): number {
  const integer = decimalIntegerIn(text, start, start + length);
  return Number.isNaN(integer) ? Number(text.slice(start, start + length)) : integer;
}

function parseScore(s: string): number {
  return scoreIn(s, 0, s.length);
}

/** `length` chars of `text` from `start` against `s`, in JS string order (memcmp for latin1); negative when before. */
function compareIn(text: string, start: number, length: number, s: string): number {
  const n = Math.min(length, s.length);
  for (let k = 0; k < n; k++) {
    const d = text.charCodeAt(start + k) - s.charCodeAt(k);
    if (d !== 0) return d;
  }
  return length - s.length;
}

/** A sorted set: its own packed entries (each member and its score's text in turn, in order) while a listpack, empty once a skiplist. */
export class ZSet extends PackedStrings implements DataObject {
  /** The skiplist encoding; null while a listpack. */
  private large: Large | null = null;

  /** On the prototype: a field would cost every sorted set 8 bytes. */
  get type(): 'zset' {
    return 'zset';
  }

  get size(): number {
    return this.large === null ? this.packedCount / 2 : this.large.list.length;
  }

  /** The members' bytes together, one per char (counted in a listpack). */
  get payloadBytes(): number {
    return this.large === null ? this.entryChars(2) : this.large.chars;
  }

  get isSkiplist(): boolean {
    return this.large !== null;
  }

  encoding(): string {
    return this.isSkiplist ? 'skiplist' : 'listpack';
  }

  /** Converts to the skiplist encoding (zsetConvert), for good. */
  toSkiplist(): void {
    if (this.large !== null) return;
    const pairs: [string, number][] = [];
    this.walkSmall(0, false, (member, score) => pairs.push([member, score]) > 0);
    this.large = { list: new RankedTree(), chars: 0 };
    this.clearEntries();
    for (const [member, score] of pairs) this.addLarge(member, score);
  }

  /**
   * Converts a skiplist back to a listpack (zsetConvert to a listpack, done only to a
   * value built anew or loaded): a listpack holds -0 as 0.
   */
  toListpack(): void {
    const large = this.large;
    if (large === null) return;
    const entries: string[] = [];
    this.walk(0, false, (member, score) => entries.push(member, scoreText(score === 0 ? 0 : score)) > 0);
    this.insertEntries(0, entries);
    this.large = null;
  }

  /** The longest member's length, for the listpack rule. */
  longestMember(): number {
    let longest = 0;
    this.walk(0, false, (member) => ((longest = Math.max(longest, member.length)), true));
    return longest;
  }

  /** The table ZSCAN walks: the skiplist's positions, or the listpack's order (a new table). */
  scanView(): ScanTable {
    if (this.large === null) {
      const t = new DenseTable(false);
      this.walkSmall(0, false, (m) => (t.append(m), true));
      return t;
    }
    const members = this.large.list.members;
    return {
      ordered: false,
      size: members.length,
      keyAt: (i) => members[i],
      scan: (cursor, count, visit) => scanPositions(members.length, cursor, count, visit),
    };
  }

  score(member: string): number | undefined {
    const large = this.large;
    if (large !== null) {
      const n = large.list.find(member);
      return n < 0 ? undefined : large.list.score(n);
    }
    const text = this.entryAfter(member, 2);
    return text === undefined ? undefined : parseScore(text);
  }

  has(member: string): boolean {
    return this.large !== null ? this.large.list.find(member) >= 0 : this.indexOfEntry(member, 2) >= 0;
  }

  /**
   * Sets `member`'s score, inserting it when new (zsetAdd without its flags); converts
   * to a skiplist when `maxEntries`/`maxValue` say so. True when the member is new.
   */
  set(member: string, score: number, maxEntries: number, maxValue: number): boolean {
    return this.put(member, score, maxEntries, maxValue) === undefined;
  }

  /**
   * `set` that returns the member's score before it, undefined when the member is new:
   * a ZADD without flags looks the member up once.
   */
  put(member: string, score: number, maxEntries: number, maxValue: number): number | undefined {
    if (this.large === null) {
      const current = this.entryAfter(member, 2);
      // A listpack holds -0 as the integer 0 (redis-server replies 0 for it); a skiplist keeps it.
      const normalized = score === 0 ? 0 : score;
      if (current !== undefined) {
        const before = parseScore(current);
        if (before !== normalized) {
          this.removeSmall(this.indexOfEntry(member, 2) / 2, 1);
          this.insertSmall(normalized, member);
        }
        return before;
      }
      if (this.size + 1 <= maxEntries && member.length <= maxValue) {
        this.insertSmall(normalized, member);
        return undefined;
      }
      this.toSkiplist();
    }
    const large = this.large!;
    const node = large.list.find(member);
    if (node < 0) {
      this.addLarge(member, score);
      return undefined;
    }
    const before = large.list.score(node);
    if (before !== score) large.list.updateScore(node, score);
    return before;
  }

  /** Adds a member (absent) to the skiplist encoding. */
  private addLarge(member: string, score: number): void {
    const large = this.large!;
    large.list.insert(score, member);
    large.chars += member.length;
  }

  /** Inserts (score, member), absent, at its place in the listpack: before the first pair that sorts after it (zzlInsert's walk). */
  private insertSmall(score: number, member: string): void {
    let at = this.size;
    // In place: a member's chars are read only when its score ties.
    let memberStart = 0;
    let memberLength = 0;
    this.scanEntries(0, (packed, start, length, i) => {
      if ((i & 1) === 0) {
        memberStart = start;
        memberLength = length;
        return true;
      }
      const s = scoreIn(packed, start, length);
      if (s < score || (s === score && compareIn(packed, memberStart, memberLength, member) < 0)) return true;
      at = (i - 1) / 2;
      return false;
    });
    this.insertEntries(2 * at, [member, scoreText(score)]);
  }

  /**
   * Each member, its score and its rank from rank `from` on in the listpack (nothing
   * when -1 or past the end), forward or backward, while `visit` returns true.
   */
  private walkSmall(from: number, reverse: boolean, visit: (member: string, score: number, rank: number) => boolean): void {
    let held = '';
    if (!reverse) {
      this.scanEntries(2 * from, (packed, start, length, i) =>
        (i & 1) === 0 ? ((held = packed.slice(start, start + length)), true) : visit(held, scoreIn(packed, start, length), (i - 1) / 2),
      );
    } else if (from >= 0) {
      this.forEachEntry(2 * from + 1, true, (s, i) => ((i & 1) === 1 ? ((held = s), true) : visit(s, parseScore(held), i / 2)));
    }
  }

  /** The count of the first listpack members for which `holds` is true. */
  private countSmallWhile(holds: (member: string, score: number) => boolean): number {
    let count = 0;
    this.walkSmall(0, false, (m, s) => holds(m, s) && ++count > 0);
    return count;
  }

  /** Removes `member`; false when it is not there. */
  delete(member: string): boolean {
    const large = this.large;
    if (large === null) {
      const i = this.indexOfEntry(member, 2);
      if (i < 0) return false;
      this.removeSmall(i / 2, 1);
      return true;
    }
    const node = large.list.find(member);
    if (node < 0) return false;
    this.removeLarge(node);
    return true;
  }

  /** Removes `n` listpack members from rank `at` on (all within the set). */
  private removeSmall(at: number, n: number): void {
    this.removeEntries(2 * at, 2 * n);
  }

  private removeLarge(node: number): void {
    const large = this.large!;
    large.chars -= large.list.member(node).length;
    large.list.remove(node);
  }

  /** The 0-based rank of `member`, or -1. */
  rank(member: string): number {
    const large = this.large;
    if (large === null) {
      const i = this.indexOfEntry(member, 2);
      return i < 0 ? -1 : i / 2;
    }
    const node = large.list.find(member);
    return node < 0 ? -1 : large.list.rank(node);
  }

  /** The member at 0-based `rank` (below size); O(log n) in a skiplist. */
  memberAt(rank: number): string {
    const large = this.large;
    return large === null ? this.entry(2 * rank) : large.list.member(large.list.at(rank));
  }

  /** The score at 0-based `rank` (below size). */
  scoreAt(rank: number): number {
    const large = this.large;
    return large === null ? parseScore(this.entry(2 * rank + 1)) : large.list.score(large.list.at(rank));
  }

  /**
   * The rank of the first member whose score is in `r`, or -1 (zslFirstInRange,
   * zzlFirstInRange).
   */
  firstInScoreRange(r: ScoreRange): number {
    if (!scoreRangeNonEmpty(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((score) => !scoreGteMin(score, r));
    else rank = this.countSmallWhile((_, score) => !scoreGteMin(score, r));
    return rank < this.size && scoreLteMax(this.scoreAt(rank), r) ? rank : -1;
  }

  /** The rank of the last member whose score is in `r`, or -1. */
  lastInScoreRange(r: ScoreRange): number {
    if (!scoreRangeNonEmpty(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((score) => scoreLteMax(score, r)) - 1;
    // Scores are in order: those not above the max come first.
    else rank = this.countSmallWhile((_, score) => scoreLteMax(score, r)) - 1;
    return rank >= 0 && scoreGteMin(this.scoreAt(rank), r) ? rank : -1;
  }

  /** zslIsInLexRange: the range is not empty, the last member is not below it nor the first above it. */
  private mayHoldLex(r: LexRange): boolean {
    const n = this.size;
    return lexRangeNonEmpty(r) && n > 0 && lexGteMin(this.memberAt(n - 1), r) && lexLteMax(this.memberAt(0), r);
  }

  /**
   * The rank of the first member in `r`, or -1: a skiplist is searched from its top
   * level, a listpack walked from its start, as redis-server does (they agree when all
   * scores are equal, the only case lexicographic ranges are meant for).
   */
  firstInLexRange(r: LexRange): number {
    if (!this.mayHoldLex(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((_, member) => !lexGteMin(member, r));
    else rank = this.countSmallWhile((m) => !lexGteMin(m, r));
    return rank < this.size && lexLteMax(this.memberAt(rank), r) ? rank : -1;
  }

  /** The rank of the last member in `r`, or -1 (walked from the end in a listpack). */
  lastInLexRange(r: LexRange): number {
    if (!this.mayHoldLex(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((_, member) => lexLteMax(member, r)) - 1;
    else {
      rank = -1;
      this.walkSmall(this.size - 1, true, (m, _, i) => (lexLteMax(m, r) ? ((rank = i), false) : true));
    }
    return rank >= 0 && lexGteMin(this.memberAt(rank), r) ? rank : -1;
  }

  /** Removes `n` members from rank `start` on (both within the set); returns how many. */
  deleteRankRange(start: number, n: number): number {
    if (n <= 0) return 0;
    const large = this.large;
    if (large === null) {
      this.removeSmall(start, n);
      return n;
    }
    let removed = 0;
    for (; removed < n && start < large.list.length; removed++) large.chars -= large.list.removeRank(start).length;
    return removed;
  }

  /**
   * Each member and score from rank `from` on (nothing when -1 or past the end),
   * forward or backward, while `visit` returns true.
   */
  walk(from: number, reverse: boolean, visit: (member: string, score: number) => boolean): void {
    if (from < 0 || from >= this.size) return;
    const large = this.large;
    if (large === null) return this.walkSmall(from, reverse, visit);
    const list = large.list;
    list.forEach(from, reverse, (n) => visit(list.member(n), list.score(n)));
  }

  digest(d: ValueDigest): void {
    this.walk(0, false, (member, score) => (d.xorPair(member, formatDouble(score)), true));
  }

  clone(): ZSet {
    const z = new ZSet();
    if (this.large === null) {
      z.copyEntries(this);
      return z;
    }
    z.toSkiplist();
    this.walk(0, false, (member, score) => (z.set(member, score, Infinity, Infinity), true));
    return z;
  }
}
