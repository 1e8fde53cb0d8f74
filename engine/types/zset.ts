/**
 * The sorted set type, as redis-server 7.0's t_zset.c keeps one: a skiplist ordered by
 * (score, member) whose links carry spans, so a rank is found in O(log n) (zslGetRank,
 * zslGetElementByRank), plus a Map from member to its node for O(1) ZSCORE.
 *
 * Encoding, as redis-server 7.0 reports and saves it: `listpack` while the set has at
 * most zset-max-listpack-entries members and none longer than zset-max-listpack-value
 * bytes, `skiplist` from the first change that breaks either rule, for good (a result
 * built anew, as ZUNIONSTORE's, starts small again). Both encodings here keep the same
 * skiplist: a listpack's order is the same (score, member) order, so replies match.
 *
 * Members compare as JS strings of latin1 code units, i.e. byte by byte as memcmp.
 */
import type { ValueDigest } from '../digest.js';
import type { DataObject } from '../keyspace.js';
import { formatDouble } from '../../protocol/reply.js';
import { DenseTable } from './dense-table.js';

/** redis-server's ZSKIPLIST_MAXLEVEL and ZSKIPLIST_P. */
const MAX_LEVEL = 32;
const P = 0.25;

export class ZNode {
  /** Next node at each level, and how many bottom-level links each one skips. */
  readonly next: (ZNode | null)[];
  readonly span: number[];
  backward: ZNode | null = null;

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

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

/** (score, member) order: negative when a sorts first. */
function compare(aScore: number, aMember: string, bScore: number, bMember: string): number {
  if (aScore !== bScore) return aScore < bScore ? -1 : 1;
  return aMember < bMember ? -1 : aMember > bMember ? 1 : 0;
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

/** Scratch for the search path and its ranks, reused: one insert or removal at a time. */
const UPDATE = new Array<ZNode>(MAX_LEVEL);
const RANK = new Array<number>(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class ZSet implements DataObject {
  readonly type = 'zset';
  private readonly head = new ZNode('', 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  private readonly nodes = new Map<string, ZNode>();
  /** Positions for ZSCAN's cursors, kept only once the set is a skiplist. */
  private scanTable: DenseTable | null = null;
  /** The members' bytes together, for the memory accounting (engine/memory.ts). */
  private chars = 0;

  get size(): number {
    return this.nodes.size;
  }

  /** The members' bytes together (one per char). */
  get payloadBytes(): number {
    return this.chars;
  }

  get isSkiplist(): boolean {
    return this.scanTable !== null;
  }

  encoding(): string {
    return this.isSkiplist ? 'skiplist' : 'listpack';
  }

  /** Converts to the skiplist encoding (zsetConvert), for good. */
  toSkiplist(): void {
    if (this.scanTable !== null) return;
    const t = new DenseTable(false);
    t.ordered = false;
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) t.append(n.member);
    this.scanTable = t;
  }

  /**
   * Converts a skiplist back to a listpack (zsetConvert to a listpack, done only to a
   * value built anew or loaded): a listpack holds -0 as 0.
   */
  toListpack(): void {
    if (this.scanTable === null) return;
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) if (n.score === 0) n.score = 0;
    this.scanTable = null;
  }

  /** The longest member's length, for the listpack rule. */
  longestMember(): number {
    let longest = 0;
    for (const member of this.nodes.keys()) longest = Math.max(longest, member.length);
    return longest;
  }

  /** The table ZSCAN walks: the skiplist's positions, or the listpack's order (a new table). */
  scanView(): DenseTable {
    if (this.scanTable !== null) return this.scanTable;
    const t = new DenseTable(false);
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) t.append(n.member);
    return t;
  }

  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  has(member: string): boolean {
    return this.nodes.has(member);
  }

  first(): ZNode | null {
    return this.head.next[0];
  }

  last(): ZNode | null {
    return this.tail;
  }

  /**
   * Sets `member`'s score, inserting it when new (zsetAdd without its flags); converts
   * to a skiplist when `maxEntries`/`maxValue` say so. True when the member is new.
   */
  set(member: string, value: number, maxEntries: number, maxValue: number): boolean {
    // A listpack holds -0 as the integer 0 (redis-server replies 0 for it); a skiplist keeps it.
    const score = value === 0 && this.scanTable === null ? 0 : value;
    const node = this.nodes.get(member);
    if (node !== undefined) {
      if (node.score !== score) this.updateScore(node, score);
      return false;
    }
    if (this.scanTable === null && (this.size + 1 > maxEntries || member.length > maxValue)) this.toSkiplist();
    this.nodes.set(member, this.insert(value === 0 && this.scanTable === null ? 0 : value, member));
    this.scanTable?.append(member);
    this.chars += member.length;
    return true;
  }

  /** Removes `member`; false when it is not there. */
  delete(member: string): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) return false;
    this.unlink(node);
    return true;
  }

  private unlink(node: ZNode): void {
    const update = this.pathTo(node.score, node.member);
    this.deleteNode(node, update);
    this.nodes.delete(node.member);
    this.scanTable?.delete(node.member);
    this.chars -= node.member.length;
  }

  /**
   * The last node before (score, member) at each level (zslInsert's update[]), with
   * ranks when asked; both in the shared scratch arrays, valid until the next call.
   */
  private pathTo(score: number, member: string, ranks?: number[]): ZNode[] {
    const update = UPDATE;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      if (ranks !== undefined) ranks[i] = i === this.level - 1 ? 0 : ranks[i + 1];
      let n = x.next[i];
      while (n !== null && compare(n.score, n.member, score, member) < 0) {
        if (ranks !== undefined) ranks[i] += x.span[i];
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    return update;
  }

  /** zslInsert: (score, member) must not be in the list. */
  private insert(score: number, member: string): ZNode {
    const rank = RANK;
    const update = this.pathTo(score, member, rank);
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.size;
      }
      this.level = level;
    }
    const x = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      x.next[i] = update[i].next[i];
      update[i].next[i] = x;
      x.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    x.backward = update[0] === this.head ? null : update[0];
    if (x.next[0] !== null) x.next[0].backward = x;
    else this.tail = x;
    return x;
  }

  /** zslDeleteNode. */
  private deleteNode(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].next[i] === x) {
        update[i].span[i] += x.span[i] - 1;
        update[i].next[i] = x.next[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (x.next[0] !== null) x.next[0].backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
  }

  /** zslUpdateScore: in place when the order holds, else removed and inserted again. */
  private updateScore(node: ZNode, score: number): void {
    const back = node.backward;
    const next = node.next[0];
    if ((back === null || compare(back.score, back.member, score, node.member) < 0) && (next === null || compare(next.score, next.member, score, node.member) > 0)) {
      node.score = score;
      return;
    }
    this.deleteNode(node, this.pathTo(node.score, node.member));
    this.nodes.set(node.member, this.insert(score, node.member));
  }

  /** The 0-based rank of `member`, or -1 (zslGetRank minus one). */
  rank(member: string): number {
    const node = this.nodes.get(member);
    if (node === undefined) return -1;
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && compare(n.score, n.member, node.score, member) <= 0) {
        rank += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (x === node) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based `rank` (below size), in O(log n) (zslGetElementByRank). */
  at(rank: number): ZNode {
    let traversed = 0;
    let x = this.head;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      if (traversed === target) return x;
    }
    throw new Error(`rank ${rank} out of range`);
  }

  /** The first node whose score is in `r`, or null (zslNthInRange with n = 0). */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    if (!scoreRangeNonEmpty(r)) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && !scoreGteMin(n.score, r)) {
        x = n;
        n = x.next[i];
      }
    }
    const found = x.next[0];
    return found !== null && scoreLteMax(found.score, r) ? found : null;
  }

  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (!scoreRangeNonEmpty(r)) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && scoreLteMax(n.score, r)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.head && scoreGteMin(x.score, r) ? x : null;
  }

  /** zslIsInLexRange: the range is not empty, the last member is not below it nor the first above it. */
  private mayHoldLex(r: LexRange): boolean {
    const first = this.head.next[0];
    return lexRangeNonEmpty(r) && first !== null && lexGteMin(this.tail!.member, r) && lexLteMax(first.member, r);
  }

  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.mayHoldLex(r)) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && !lexGteMin(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    const found = x.next[0];
    return found !== null && lexLteMax(found.member, r) ? found : null;
  }

  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.mayHoldLex(r)) return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n !== null && lexLteMax(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    return x !== this.head && lexGteMin(x.member, r) ? x : null;
  }

  /** The number of members from `from` to `to` (both in the set, from not after to). */
  countBetween(from: ZNode, to: ZNode): number {
    return this.rank(to.member) - this.rank(from.member) + 1;
  }

  /** Removes `n` members from rank `start` on; returns them in order. */
  deleteRankRange(start: number, n: number): ZNode[] {
    const removed: ZNode[] = [];
    if (n <= 0) return removed;
    let node: ZNode | null = this.at(start);
    for (let i = 0; i < n && node !== null; i++) {
      removed.push(node);
      node = node.next[0];
    }
    for (const r of removed) this.unlink(r);
    return removed;
  }

  /** Each node from `from` on, forward or backward, while `visit` returns true. */
  walk(from: ZNode | null, reverse: boolean, visit: (n: ZNode) => boolean): void {
    for (let n = from; n !== null; n = reverse ? n.backward : n.next[0]) if (!visit(n)) return;
  }

  digest(d: ValueDigest): void {
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) d.xorPair(n.member, formatDouble(n.score));
  }

  clone(): ZSet {
    const z = new ZSet();
    if (this.isSkiplist) z.toSkiplist();
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) z.set(n.member, n.score, Infinity, Infinity);
    return z;
  }
}
