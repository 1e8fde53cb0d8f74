/**
 * The skiplist under a large sorted set (engine/types/zset.ts), as redis-server 7.0's
 * t_zset.c keeps one: nodes ordered by (score, member) whose links carry spans, so a
 * rank is found in O(log n) (zslGetRank, zslGetElementByRank). Levels are drawn with
 * p = 1/4 up to 32 (ZSKIPLIST_P, ZSKIPLIST_MAXLEVEL).
 *
 * A node keeps its links and their spans in one array (next at 2i, span at 2i + 1):
 * one array per node rather than two saves about 50 bytes a member on the heap.
 *
 * Members compare as JS strings of latin1 code units, i.e. byte by byte as memcmp.
 */

const MAX_LEVEL = 32;
const P = 0.25;

export class ZNode {
  /** next(i) at 2i, span(i) at 2i + 1: the next node at level i and how many bottom-level links it skips. */
  readonly links: (ZNode | number | null)[];
  backward: ZNode | null = null;
  /** The node's position in its sorted set's ZSCAN order (engine/types/zset.ts). */
  pos = 0;

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    this.links = new Array<ZNode | number | null>(level * 2);
    for (let i = 0; i < level; i++) {
      this.links[2 * i] = null;
      this.links[2 * i + 1] = 0;
    }
  }

  next(i: number): ZNode | null {
    return this.links[2 * i] as ZNode | null;
  }

  span(i: number): number {
    return this.links[2 * i + 1] as number;
  }

  setNext(i: number, n: ZNode | null): void {
    this.links[2 * i] = n;
  }

  setSpan(i: number, span: number): void {
    this.links[2 * i + 1] = span;
  }
}

/** (score, member) order: negative when a sorts first. */
export function compareScored(aScore: number, aMember: string, bScore: number, bMember: string): number {
  if (aScore !== bScore) return aScore < bScore ? -1 : 1;
  return aMember < bMember ? -1 : aMember > bMember ? 1 : 0;
}

/** Scratch for the search path and its ranks, reused: one insert or removal at a time. */
const UPDATE = new Array<ZNode>(MAX_LEVEL);
const RANK = new Array<number>(MAX_LEVEL).fill(0);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class SkipList {
  private readonly head = new ZNode('', 0, MAX_LEVEL);
  tail: ZNode | null = null;
  private level = 1;
  length = 0;

  first(): ZNode | null {
    return this.head.next(0);
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
      let n = x.next(i);
      while (n !== null && compareScored(n.score, n.member, score, member) < 0) {
        if (ranks !== undefined) ranks[i] += x.span(i);
        x = n;
        n = x.next(i);
      }
      update[i] = x;
    }
    return update;
  }

  /** zslInsert: (score, member) must not be in the list. */
  insert(score: number, member: string): ZNode {
    const x = new ZNode(member, score, randomLevel());
    this.link(x);
    return x;
  }

  /** Links `x` (unlinked, its score set) at its place, with the levels it has. */
  private link(x: ZNode): void {
    const rank = RANK;
    const update = this.pathTo(x.score, x.member, rank);
    const level = x.links.length >>> 1;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.setSpan(i, this.length);
      }
      this.level = level;
    }
    for (let i = 0; i < level; i++) {
      const u = update[i];
      x.setNext(i, u.next(i));
      u.setNext(i, x);
      x.setSpan(i, u.span(i) - (rank[0] - rank[i]));
      u.setSpan(i, rank[0] - rank[i] + 1);
    }
    for (let i = level; i < this.level; i++) update[i].setSpan(i, update[i].span(i) + 1);
    x.backward = update[0] === this.head ? null : update[0];
    const after = x.next(0);
    if (after !== null) after.backward = x;
    else this.tail = x;
    this.length++;
  }

  /** Unlinks `x` (zslDelete without the lookup). */
  remove(x: ZNode): void {
    const update = this.pathTo(x.score, x.member);
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (u.next(i) === x) {
        u.setSpan(i, u.span(i) + x.span(i) - 1);
        u.setNext(i, x.next(i));
      } else {
        u.setSpan(i, u.span(i) - 1);
      }
    }
    const after = x.next(0);
    if (after !== null) after.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.head.next(this.level - 1) === null) this.level--;
    this.length--;
  }

  /**
   * zslUpdateScore: in place when the order holds, else unlinked and linked again at
   * its new place. redis-server frees the node and allocates another; this one moves
   * with its levels (still drawn at random), so a busy schedule makes no garbage.
   */
  updateScore(node: ZNode, score: number): void {
    const back = node.backward;
    const next = node.next(0);
    if ((back === null || compareScored(back.score, back.member, score, node.member) < 0) && (next === null || compareScored(next.score, next.member, score, node.member) > 0)) {
      node.score = score;
      return;
    }
    this.remove(node);
    node.score = score;
    this.link(node);
  }

  /** The 0-based rank of `node` (zslGetRank minus one). */
  rank(node: ZNode): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && compareScored(n.score, n.member, node.score, node.member) <= 0) {
        rank += x.span(i);
        x = n;
        n = x.next(i);
      }
      if (x === node) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based `rank` (below length), in O(log n) (zslGetElementByRank). */
  at(rank: number): ZNode {
    let traversed = 0;
    let x = this.head;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && traversed + x.span(i) <= target) {
        traversed += x.span(i);
        x = n;
        n = x.next(i);
      }
      if (traversed === target) return x;
    }
    throw new Error(`rank ${rank} out of range`);
  }

  /**
   * The 0-based rank of the first node for which `before` is false, descending from
   * the top level (the nodes `before` holds for must come first): zslNthInRange's
   * search. Equals `length` when there is none.
   */
  countWhile(before: (n: ZNode) => boolean): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next(i);
      while (n !== null && before(n)) {
        rank += x.span(i);
        x = n;
        n = x.next(i);
      }
    }
    return rank;
  }

  /** Each node of the list (its own order), for a copy or a conversion. */
  forEach(visit: (n: ZNode) => void): void {
    for (let n = this.head.next(0); n !== null; n = n.next(0)) visit(n);
  }
}
