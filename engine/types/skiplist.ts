/**
 * The skiplist under a large sorted set (engine/types/zset.ts), as redis-server 7.0's
 * t_zset.c keeps one: nodes ordered by (score, member) whose links carry spans, so a
 * rank is found in O(log n) (zslGetRank, zslGetElementByRank). Levels are drawn with
 * p = 1/4 up to 32 (ZSKIPLIST_P, ZSKIPLIST_MAXLEVEL).
 *
 * Layout: a node is a block of 32-bit slots in one ArrayBuffer, its id the block's
 * offset: the score (a float64 over two slots), the backward node, the level, the
 * node's position, then a next id and a span per level. A search step reads one block
 * (the next node's score and links together, 32 to 40 bytes), where JS objects would
 * cost a node object, its links array and its boxed score: two or three cache misses
 * a step, which is what a ZADD on a large set spent its time on. Id 0 is the head,
 * which no link points to, so 0 also stands for "none". Freed blocks are reused by
 * level.
 *
 * Positions: every node has a dense position (0 to length - 1); `members` holds the
 * member names by position and `byPos` the node ids. A removal moves the last node's
 * position into the hole, so ZSCAN walks positions with the hashes' cursors (a member
 * present throughout is never missed).
 *
 * Members compare as JS strings of latin1 code units, i.e. byte by byte as memcmp.
 */

const MAX_LEVEL = 32;
const P = 0.25;

/** Slot offsets in a block (the score is float64 slot id / 2). */
const BACKWARD = 2;
const LEVEL = 3;
const POS = 4;
const LINKS = 5;

/** A block's slots for `level` levels, rounded up to an even count (the scores stay 8-byte aligned). */
function blockSlots(level: number): number {
  return (LINKS + 2 * level + 1) & ~1;
}

/** Scratch for the search path and its ranks, reused: one insert or removal at a time. */
const UPDATE = new Int32Array(MAX_LEVEL);
const RANK = new Float64Array(MAX_LEVEL);

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class SkipList {
  private slots: Int32Array;
  private scores: Float64Array;
  /** The first slot never used. */
  private top: number;
  /** Freed blocks by level. */
  private readonly free: number[][] = [];
  private level = 1;
  /** The last node, or 0. */
  tail = 0;
  /** Nodes in the links (a node being moved is out of them for a moment). */
  private linkedCount = 0;
  /** Member names and node ids by position. */
  readonly members: string[] = [];
  readonly byPos: number[] = [];

  constructor() {
    const head = blockSlots(MAX_LEVEL);
    this.slots = new Int32Array(head + 8 * blockSlots(1));
    this.scores = new Float64Array(this.slots.buffer);
    this.top = head;
    this.slots[LEVEL] = MAX_LEVEL;
  }

  get length(): number {
    return this.members.length;
  }

  score(n: number): number {
    return this.scores[n >> 1];
  }

  member(n: number): string {
    return this.members[this.slots[n + POS]];
  }

  /** The next node at level `i`, or 0. */
  next(n: number, i = 0): number {
    return this.slots[n + LINKS + 2 * i];
  }

  /** The node before `n`, or 0. */
  prev(n: number): number {
    return this.slots[n + BACKWARD];
  }

  first(): number {
    return this.slots[LINKS];
  }

  /** True when node `n` sorts before (score, member). */
  private before(n: number, score: number, member: string): boolean {
    const s = this.scores[n >> 1];
    if (s !== score) return s < score;
    return this.member(n) < member;
  }

  /**
   * The last node before (score, member) at each level (zslInsert's update[]), with
   * ranks when asked; both in the shared scratch arrays, valid until the next call.
   * The comparison is written out (a member read only when the scores tie) and the
   * arrays held in locals: this loop is most of a ZADD to a large set.
   */
  private pathTo(score: number, member: string, ranks: Float64Array | null): Int32Array {
    const update = UPDATE;
    const slots = this.slots;
    const scores = this.scores;
    const members = this.members;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const link = LINKS + 2 * i;
      let n = slots[x + link];
      while (n !== 0) {
        const s = scores[n >> 1];
        if (s > score || (s === score && members[slots[n + POS]] >= member)) break;
        rank += slots[x + link + 1];
        x = n;
        n = slots[x + link];
      }
      update[i] = x;
      if (ranks !== null) ranks[i] = rank;
    }
    return update;
  }

  /** A block for a node of `level` levels, from the freed ones or the end (grown as needed). */
  private allocate(level: number): number {
    const reused = this.free[level]?.pop();
    if (reused !== undefined) return reused;
    const size = blockSlots(level);
    if (this.top + size > this.slots.length) {
      // Half as much again (an even count, for the float64 view): the buffer is most of
      // a large set's memory, so no doubling.
      let grownSize = Math.max(this.top + size, Math.ceil(this.slots.length * 1.5));
      grownSize += grownSize & 1;
      const grown = new Int32Array(grownSize);
      grown.set(this.slots);
      this.slots = grown;
      this.scores = new Float64Array(grown.buffer);
    }
    const n = this.top;
    this.top += size;
    return n;
  }

  /** zslInsert: (score, member) must not be in the list. Returns the new node. */
  insert(score: number, member: string): number {
    const level = randomLevel();
    const n = this.allocate(level);
    this.slots[n + LEVEL] = level;
    this.scores[n >> 1] = score;
    this.slots[n + POS] = this.members.length;
    this.members.push(member);
    this.byPos.push(n);
    this.link(n);
    return n;
  }

  /** Links `x` (unlinked, its score and position set) at its place, with the levels it has. */
  private link(x: number): void {
    const slots = this.slots;
    const rank = RANK;
    const update = this.pathTo(this.scores[x >> 1], this.member(x), rank);
    const level = slots[x + LEVEL];
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = 0;
        // The head's span at a level it did not use: every node (x not counted yet).
        slots[LINKS + 2 * i + 1] = this.linkedCount;
      }
      this.level = level;
    }
    for (let i = 0; i < level; i++) {
      const u = update[i];
      slots[x + LINKS + 2 * i] = slots[u + LINKS + 2 * i];
      slots[u + LINKS + 2 * i] = x;
      slots[x + LINKS + 2 * i + 1] = slots[u + LINKS + 2 * i + 1] - (rank[0] - rank[i]);
      slots[u + LINKS + 2 * i + 1] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) slots[update[i] + LINKS + 2 * i + 1]++;
    slots[x + BACKWARD] = update[0];
    const after = slots[x + LINKS];
    if (after !== 0) slots[after + BACKWARD] = x;
    else this.tail = x;
    this.linkedCount++;
  }

  /** zslDeleteNode: takes `x` out of the links. */
  private unlink(x: number): void {
    const slots = this.slots;
    const update = this.pathTo(this.scores[x >> 1], this.member(x), null);
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (slots[u + LINKS + 2 * i] === x) {
        slots[u + LINKS + 2 * i + 1] += slots[x + LINKS + 2 * i + 1] - 1;
        slots[u + LINKS + 2 * i] = slots[x + LINKS + 2 * i];
      } else {
        slots[u + LINKS + 2 * i + 1]--;
      }
    }
    const after = slots[x + LINKS];
    if (after !== 0) slots[after + BACKWARD] = slots[x + BACKWARD];
    else this.tail = slots[x + BACKWARD];
    while (this.level > 1 && slots[LINKS + 2 * (this.level - 1)] === 0) this.level--;
    this.linkedCount--;
  }

  /** Removes node `x`: out of the links, its position filled by the last node's, its block freed. */
  remove(x: number): void {
    this.unlink(x);
    const slots = this.slots;
    const pos = slots[x + POS];
    const lastNode = this.byPos.pop()!;
    const lastMember = this.members.pop()!;
    if (lastNode !== x) {
      this.byPos[pos] = lastNode;
      this.members[pos] = lastMember;
      slots[lastNode + POS] = pos;
    }
    const level = slots[x + LEVEL];
    (this.free[level] ??= []).push(x);
  }

  /**
   * zslUpdateScore: in place when the order holds, else unlinked and linked again at
   * its new place. redis-server frees the node and allocates another; this one moves
   * with its levels (still drawn at random) and keeps its id.
   */
  updateScore(n: number, score: number): void {
    const member = this.member(n);
    const back = this.prev(n);
    const next = this.next(n);
    if ((back === 0 || this.before(back, score, member)) && (next === 0 || !this.before(next, score, member))) {
      this.scores[n >> 1] = score;
      return;
    }
    this.unlink(n);
    this.scores[n >> 1] = score;
    this.link(n);
  }

  /** The 0-based rank of node `x` (zslGetRank minus one). */
  rank(x: number): number {
    const slots = this.slots;
    const score = this.scores[x >> 1];
    const member = this.member(x);
    let rank = 0;
    let n = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = slots[n + LINKS + 2 * i];
      // Up to and including x: every node not after it.
      while (next !== 0 && (next === x || this.before(next, score, member))) {
        rank += slots[n + LINKS + 2 * i + 1];
        n = next;
        next = slots[n + LINKS + 2 * i];
      }
      if (n === x) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based `rank` (below length), in O(log n) (zslGetElementByRank). */
  at(rank: number): number {
    const slots = this.slots;
    let traversed = 0;
    let x = 0;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = slots[x + LINKS + 2 * i];
      while (n !== 0 && traversed + slots[x + LINKS + 2 * i + 1] <= target) {
        traversed += slots[x + LINKS + 2 * i + 1];
        x = n;
        n = slots[x + LINKS + 2 * i];
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
  countWhile(before: (n: number) => boolean): number {
    const slots = this.slots;
    let rank = 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = slots[x + LINKS + 2 * i];
      while (n !== 0 && before(n)) {
        rank += slots[x + LINKS + 2 * i + 1];
        x = n;
        n = slots[x + LINKS + 2 * i];
      }
    }
    return rank;
  }
}
