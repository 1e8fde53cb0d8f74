/**
 * The sorted set type, in the two encodings redis-server 7.0 gives one (t_zset.c):
 *
 * - `listpack` while the set has at most zset-max-listpack-entries members and none
 *   longer than zset-max-listpack-value bytes: two parallel arrays, members and scores
 *   in (score, member) order, with no index; a member is found by a linear scan and
 *   inserted by a binary search and a splice, O(n) as in redis-server's listpack, for
 *   n of at most 128 by default. A set holding a few members costs a few hundred bytes
 *   rather than a skiplist's and a Map's thousands.
 * - `skiplist` from the first change that breaks either rule, for good (a result built
 *   anew, as ZUNIONSTORE's, starts small again): redis-server's skiplist with spans
 *   (engine/types/skiplist.ts: nodes are blocks of one buffer, and have dense
 *   positions for ZSCAN's cursors), plus a Map from member to node for O(1) ZSCORE.
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
import { SkipList } from './skiplist.js';
import { PackedStrings } from './packed-strings.js';

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

/** The large encoding's parts: the skiplist, and each member's node. */
interface Large {
  list: SkipList;
  nodes: Map<string, number>;
}


export class ZSet implements DataObject {
  readonly type = 'zset';
  /** The listpack encoding's members (packed: engine/types/packed-strings.ts) and scores, in order; empty once a skiplist. */
  private members = new PackedStrings();
  private scores: number[] = [];
  /** The skiplist encoding; null while a listpack. */
  private large: Large | null = null;
  /** The members' bytes together, for the memory accounting (engine/memory.ts). */
  private chars = 0;

  get size(): number {
    return this.large === null ? this.members.size : this.large.list.length;
  }

  /** The members' bytes together (one per char). */
  get payloadBytes(): number {
    return this.chars;
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
    const large: Large = { list: new SkipList(), nodes: new Map() };
    this.large = large;
    const { members, scores } = this;
    // addLarge counts each member's bytes again.
    this.chars = 0;
    members.forEach(0, false, (member, i) => (this.addLarge(member, scores[i]), true));
    this.members = new PackedStrings();
    this.scores = [];
  }

  /**
   * Converts a skiplist back to a listpack (zsetConvert to a listpack, done only to a
   * value built anew or loaded): a listpack holds -0 as 0.
   */
  toListpack(): void {
    const large = this.large;
    if (large === null) return;
    const members: string[] = [];
    const scores = new Array<number>(large.list.length);
    this.walk(0, false, (member, score) => {
      scores[members.length] = score === 0 ? 0 : score;
      members.push(member);
      return true;
    });
    this.members = new PackedStrings();
    this.members.insert(0, members);
    this.scores = scores;
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
      this.members.forEach(0, false, (m) => (t.append(m), true));
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
      const n = large.nodes.get(member);
      return n === undefined ? undefined : large.list.score(n);
    }
    const i = this.members.indexOf(member);
    return i < 0 ? undefined : this.scores[i];
  }

  has(member: string): boolean {
    return this.large !== null ? this.large.nodes.has(member) : this.members.indexOf(member) >= 0;
  }

  /**
   * Sets `member`'s score, inserting it when new (zsetAdd without its flags); converts
   * to a skiplist when `maxEntries`/`maxValue` say so. True when the member is new.
   */
  set(member: string, score: number, maxEntries: number, maxValue: number): boolean {
    if (this.large === null) {
      const i = this.members.indexOf(member);
      // A listpack holds -0 as the integer 0 (redis-server replies 0 for it); a skiplist keeps it.
      const normalized = score === 0 ? 0 : score;
      if (i >= 0) {
        if (this.scores[i] !== normalized) this.moveSmall(i, normalized);
        return false;
      }
      if (this.members.size + 1 <= maxEntries && member.length <= maxValue) {
        this.insertSmall(normalized, member);
        return true;
      }
      this.toSkiplist();
    }
    const large = this.large!;
    const node = large.nodes.get(member);
    if (node !== undefined) {
      if (large.list.score(node) !== score) large.list.updateScore(node, score);
      return false;
    }
    this.addLarge(member, score);
    return true;
  }

  /** Adds a member (absent) to the skiplist encoding. */
  private addLarge(member: string, score: number): void {
    const large = this.large!;
    large.nodes.set(member, large.list.insert(score, member));
    this.chars += member.length;
  }

  /**
   * Where (score, member) goes in the listpack: a binary search of the scores, then a
   * walk of the members with the same score (only those need reading).
   */
  private smallPosition(score: number, member: string): number {
    const scores = this.scores;
    const bound = (above: boolean): number => {
      let lo = 0;
      let hi = scores.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (scores[mid] < score || (above && scores[mid] === score)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const first = bound(false);
    const end = bound(true);
    let at = end;
    if (first < end) {
      this.members.forEach(first, false, (m, i) => {
        if (i < end && m < member) return true;
        at = Math.min(at, i);
        return false;
      });
    }
    return at;
  }

  private insertSmall(score: number, member: string): void {
    const at = this.smallPosition(score, member);
    this.members.insert(at, [member]);
    if (at === this.scores.length) this.scores.push(score);
    else this.scores.splice(at, 0, score);
    this.chars += member.length;
  }

  /** Gives the listpack member at `i` a new score, moving it to its place. */
  private moveSmall(i: number, score: number): void {
    const member = this.members.at(i);
    this.removeSmall(i, 1);
    this.insertSmall(score, member);
  }

  /** Removes `member`; false when it is not there. */
  delete(member: string): boolean {
    const large = this.large;
    if (large === null) {
      const i = this.members.indexOf(member);
      if (i < 0) return false;
      this.removeSmall(i, 1);
      return true;
    }
    const node = large.nodes.get(member);
    if (node === undefined) return false;
    this.removeLarge(node);
    return true;
  }

  private removeSmall(at: number, n: number): void {
    const scores = this.scores;
    this.chars -= this.members.remove(at, n);
    if (at === 0 && n === 1) scores.shift();
    else if (at + n === scores.length && n === 1) scores.pop();
    else scores.splice(at, n);
  }

  private removeLarge(node: number): void {
    const large = this.large!;
    const member = large.list.member(node);
    large.list.remove(node);
    large.nodes.delete(member);
    this.chars -= member.length;
  }

  /** The 0-based rank of `member`, or -1. */
  rank(member: string): number {
    const large = this.large;
    if (large === null) return this.members.indexOf(member);
    const node = large.nodes.get(member);
    return node === undefined ? -1 : large.list.rank(node);
  }

  /** The member at 0-based `rank` (below size); O(log n) in a skiplist. */
  memberAt(rank: number): string {
    const large = this.large;
    return large === null ? this.members.at(rank) : large.list.member(large.list.at(rank));
  }

  /** The score at 0-based `rank` (below size). */
  scoreAt(rank: number): number {
    const large = this.large;
    return large === null ? this.scores[rank] : large.list.score(large.list.at(rank));
  }

  /**
   * The rank of the first member whose score is in `r`, or -1 (zslFirstInRange,
   * zzlFirstInRange).
   */
  firstInScoreRange(r: ScoreRange): number {
    if (!scoreRangeNonEmpty(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((n) => !scoreGteMin(large.list.score(n), r));
    else for (rank = 0; rank < this.scores.length && !scoreGteMin(this.scores[rank], r); rank++);
    return rank < this.size && scoreLteMax(this.scoreAt(rank), r) ? rank : -1;
  }

  /** The rank of the last member whose score is in `r`, or -1. */
  lastInScoreRange(r: ScoreRange): number {
    if (!scoreRangeNonEmpty(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((n) => scoreLteMax(large.list.score(n), r)) - 1;
    else for (rank = this.scores.length - 1; rank >= 0 && !scoreLteMax(this.scores[rank], r); rank--);
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
    if (large !== null) rank = large.list.countWhile((n) => !lexGteMin(large.list.member(n), r));
    else {
      rank = this.members.size;
      this.members.forEach(0, false, (m, i) => (lexGteMin(m, r) ? ((rank = i), false) : true));
    }
    return rank < this.size && lexLteMax(this.memberAt(rank), r) ? rank : -1;
  }

  /** The rank of the last member in `r`, or -1 (walked from the end in a listpack). */
  lastInLexRange(r: LexRange): number {
    if (!this.mayHoldLex(r)) return -1;
    const large = this.large;
    let rank: number;
    if (large !== null) rank = large.list.countWhile((n) => lexLteMax(large.list.member(n), r)) - 1;
    else {
      rank = -1;
      this.members.forEach(this.members.size - 1, true, (m, i) => (lexLteMax(m, r) ? ((rank = i), false) : true));
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
    const removed: number[] = [];
    for (let node = large.list.at(start), i = 0; i < n && node !== 0; i++, node = large.list.next(node)) removed.push(node);
    for (const r of removed) this.removeLarge(r);
    return removed.length;
  }

  /**
   * Each member and score from rank `from` on (nothing when -1 or past the end),
   * forward or backward, while `visit` returns true.
   */
  walk(from: number, reverse: boolean, visit: (member: string, score: number) => boolean): void {
    if (from < 0 || from >= this.size) return;
    const large = this.large;
    if (large === null) {
      const scores = this.scores;
      this.members.forEach(from, reverse, (member, i) => visit(member, scores[i]));
      return;
    }
    const list = large.list;
    for (let n = list.at(from); n !== 0; n = reverse ? list.prev(n) : list.next(n)) if (!visit(list.member(n), list.score(n))) return;
  }

  digest(d: ValueDigest): void {
    this.walk(0, false, (member, score) => (d.xorPair(member, formatDouble(score)), true));
  }

  clone(): ZSet {
    const z = new ZSet();
    if (this.large === null) {
      z.members = this.members.clone();
      z.scores = this.scores.slice();
      z.chars = this.chars;
      return z;
    }
    z.toSkiplist();
    this.walk(0, false, (member, score) => (z.set(member, score, Infinity, Infinity), true));
    return z;
  }
}
