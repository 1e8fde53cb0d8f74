/**
 * The ordered index under a large sorted set (engine/types/zset.ts): a B+tree with
 * counts, standing where redis-server 7.0's t_zset.c keeps a skiplist with spans.
 * Entries are ordered by (score, member); each internal node keeps the number of
 * entries under each of its children, so a rank is found in O(log n) both ways, as
 * zslGetRank and zslGetElementByRank find one.
 *
 * Why not the skiplist: a search in a skiplist of 50,000 members visits about 30 nodes,
 * each somewhere else in memory, and between two commands of a busy server the network
 * path pushes those nodes out of the cache: a ZADD then waited on one cache miss a
 * node. Here a search reads 2 or 3 internal nodes (few, so they stay cached) and binary
 * searches one leaf, whose scores lie together (ARCHITECTURE.md, "Sorted sets").
 *
 * Layout, all in typed arrays but the member strings:
 * - An entry has an id (the handle the member map holds, stable while it stays): its
 *   score, member and position by id.
 * - A leaf holds up to LEAF entries in order: their ids and, beside them, their scores
 *   (a search compares scores without leaving the leaf; members only on a tie). Leaves
 *   are chained both ways for walks.
 * - An internal node holds up to FANOUT children, with the entry count under each and,
 *   for every child but the first, a separator: a key not after any entry of that child
 *   and after every entry of the ones before it (an entry removed later leaves it
 *   true, so separators never change after a split).
 * A full leaf or node takes one more entry, then splits in halves; a leaf or node left
 * under a quarter full merges with a sibling when both fit in one. The root collapses
 * while it has a single child.
 *
 * Members: `find` gives a member's entry id, through an open-addressing table of
 * hashes and ids (engine/types/member-index.ts) that inserts and removals keep.
 *
 * Positions: every entry has a dense position (0 to length - 1); `members` holds the
 * member names by position and `byPos` the ids. A removal moves the last entry's
 * position into the hole, so ZSCAN walks positions with the hashes' cursors (a member
 * present throughout is never missed).
 *
 * Members compare as JS strings of latin1 code units, i.e. byte by byte as memcmp.
 */

import { MemberIndex } from './member-index.js';

/** Entries a leaf holds (one more, for a moment, before it splits). */
const LEAF = 64;
const LEAF_SLOTS = LEAF + 1;
/** Children an internal node holds (one more, for a moment, before it splits). */
const FANOUT = 64;
const NODE_SLOTS = FANOUT + 1;
/** A tree of 2^31 entries is 7 levels high at most (a split leaves halves of 32 or more). */
const MAX_HEIGHT = 16;

/** The path of the last descent: the node at each depth and the child taken; one descent at a time. */
const PATH_NODE = new Int32Array(MAX_HEIGHT);
const PATH_KID = new Int32Array(MAX_HEIGHT);

/** `a` grown to hold at least `size` elements (by half as much again). */
function grown<T extends Int32Array | Float64Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, Math.ceil(a.length * 1.5)));
  b.set(a);
  return b;
}

/** True when (s1, m1) sorts before (s2, m2). */
function keyBefore(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

export class RankedTree {
  // Entries, by id.
  private scoreOf = new Float64Array(16);
  private posOf = new Int32Array(16);
  private readonly memberOf: string[] = [];
  private readonly freeIds: number[] = [];

  /** Each entry's id by member name (engine/types/member-index.ts). */
  private readonly index = new MemberIndex(this);

  /** Member names and entry ids by position. */
  readonly members: string[] = [];
  readonly byPos: number[] = [];

  // Leaves, by index: LEAF_SLOTS slots each in the first two.
  private leafIds = new Int32Array(LEAF_SLOTS);
  private leafScores = new Float64Array(LEAF_SLOTS);
  private leafSize = new Int32Array(1);
  /** The next and previous leaves in order, -1 at the ends. */
  private leafNext = new Int32Array(1);
  private leafPrev = new Int32Array(1);
  private leavesMade = 0;
  private readonly freeLeaves: number[] = [];

  // Internal nodes, by index: NODE_SLOTS slots each in the first four.
  private kids = new Int32Array(0);
  private counts = new Int32Array(0);
  private sepScores = new Float64Array(0);
  private readonly sepMembers: string[] = [];
  private kidCount = new Int32Array(0);
  private nodesMade = 0;
  private readonly freeNodes: number[] = [];

  /** The root: a leaf while `height` is 0, else an internal node `height` levels above the leaves. */
  private root: number;
  private height = 0;
  /** The index in its leaf of the entry `locate` found. */
  private located = 0;

  constructor() {
    this.root = this.newLeaf();
  }

  get length(): number {
    return this.members.length;
  }

  score(id: number): number {
    return this.scoreOf[id];
  }

  member(id: number): string {
    return this.memberOf[id];
  }

  /** The id of the entry of `member`, or -1. */
  find(member: string): number {
    return this.index.find(member);
  }

  private newLeaf(): number {
    const reused = this.freeLeaves.pop();
    const l = reused ?? this.leavesMade++;
    if (reused === undefined) {
      this.leafIds = grown(this.leafIds, (l + 1) * LEAF_SLOTS);
      this.leafScores = grown(this.leafScores, (l + 1) * LEAF_SLOTS);
      this.leafSize = grown(this.leafSize, l + 1);
      this.leafNext = grown(this.leafNext, l + 1);
      this.leafPrev = grown(this.leafPrev, l + 1);
    }
    this.leafSize[l] = 0;
    this.leafNext[l] = -1;
    this.leafPrev[l] = -1;
    return l;
  }

  private newNode(): number {
    const reused = this.freeNodes.pop();
    const v = reused ?? this.nodesMade++;
    if (reused === undefined) {
      this.kids = grown(this.kids, (v + 1) * NODE_SLOTS);
      this.counts = grown(this.counts, (v + 1) * NODE_SLOTS);
      this.sepScores = grown(this.sepScores, (v + 1) * NODE_SLOTS);
      this.kidCount = grown(this.kidCount, v + 1);
      // Filled in order, so the array stays dense (not a dictionary).
      for (let i = 0; i < NODE_SLOTS; i++) this.sepMembers.push('');
    }
    this.kidCount[v] = 0;
    return v;
  }

  /**
   * Descends to the leaf where (score, member) is or belongs, noting the path in
   * PATH_NODE/PATH_KID (depths 0 to height - 1); returns the leaf.
   */
  private descend(score: number, member: string): number {
    const kids = this.kids;
    const sepScores = this.sepScores;
    const sepMembers = this.sepMembers;
    let v = this.root;
    for (let d = 0; d < this.height; d++) {
      const base = v * NODE_SLOTS;
      // The last child whose separator is not after the key (the first has none).
      let lo = 1;
      let hi = this.kidCount[v];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const s = sepScores[base + mid];
        if (score < s || (score === s && member < sepMembers[base + mid])) hi = mid;
        else lo = mid + 1;
      }
      PATH_NODE[d] = v;
      PATH_KID[d] = lo - 1;
      v = kids[base + lo - 1];
    }
    return v;
  }

  /** The index of the first entry of leaf `l` not before (score, member). */
  private lowerBound(l: number, score: number, member: string): number {
    const base = l * LEAF_SLOTS;
    const scores = this.leafScores;
    const ids = this.leafIds;
    const memberOf = this.memberOf;
    let lo = 0;
    let hi = this.leafSize[l];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = scores[base + mid];
      if (s < score || (s === score && memberOf[ids[base + mid]] < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds (score, member), which must not be in the tree; returns its id. */
  insert(score: number, member: string): number {
    const id = this.freeIds.pop() ?? this.memberOf.length;
    if (id === this.memberOf.length) {
      this.memberOf.push(member);
      this.scoreOf = grown(this.scoreOf, id + 1);
      this.posOf = grown(this.posOf, id + 1);
    } else this.memberOf[id] = member;
    this.scoreOf[id] = score;
    this.posOf[id] = this.members.length;
    this.members.push(member);
    this.byPos.push(id);
    this.index.add(member, id);
    this.link(id);
    return id;
  }

  /** Puts entry `id` (its score and member set, out of the tree) at its place. */
  private link(id: number): void {
    const score = this.scoreOf[id];
    const member = this.memberOf[id];
    const l = this.descend(score, member);
    const height = this.height;
    const counts = this.counts;
    for (let d = 0; d < height; d++) counts[PATH_NODE[d] * NODE_SLOTS + PATH_KID[d]]++;
    const at = this.lowerBound(l, score, member);
    const base = l * LEAF_SLOTS;
    const size = this.leafSize[l];
    const ids = this.leafIds;
    const scores = this.leafScores;
    // Loops rather than copyWithin: a call of that C++ builtin costs more than moving a leaf's entries.
    for (let i = base + size; i > base + at; i--) {
      ids[i] = ids[i - 1];
      scores[i] = scores[i - 1];
    }
    ids[base + at] = id;
    scores[base + at] = score;
    this.leafSize[l] = size + 1;
    if (size + 1 > LEAF) this.splitLeaf(l, height);
  }

  /** Moves the upper half of leaf `l` (at depth `height`, on the noted path) into a new leaf after it. */
  private splitLeaf(l: number, height: number): void {
    const r = this.newLeaf();
    const size = this.leafSize[l];
    const keep = size >> 1;
    const from = l * LEAF_SLOTS + keep;
    this.leafIds.copyWithin(r * LEAF_SLOTS, from, from + size - keep);
    this.leafScores.copyWithin(r * LEAF_SLOTS, from, from + size - keep);
    this.leafSize[l] = keep;
    this.leafSize[r] = size - keep;
    const next = this.leafNext[l];
    this.leafNext[r] = next;
    this.leafPrev[r] = l;
    this.leafNext[l] = r;
    if (next >= 0) this.leafPrev[next] = r;
    const first = this.leafIds[r * LEAF_SLOTS];
    this.addKid(height - 1, r, this.scoreOf[first], this.memberOf[first], keep, size - keep);
  }

  /**
   * Puts `kid` right after the child taken at depth `d` of the noted path, with its
   * separator, the two children's counts given (a new root above the old one when `d`
   * is -1); splits the node when that overfills it.
   */
  private addKid(d: number, kid: number, sepScore: number, sepMember: string, leftCount: number, rightCount: number): void {
    if (d < 0) {
      const v = this.newNode();
      const base = v * NODE_SLOTS;
      this.kids[base] = this.root;
      this.kids[base + 1] = kid;
      this.counts[base] = leftCount;
      this.counts[base + 1] = rightCount;
      this.sepScores[base + 1] = sepScore;
      this.sepMembers[base + 1] = sepMember;
      this.kidCount[v] = 2;
      this.root = v;
      this.height++;
      return;
    }
    const v = PATH_NODE[d];
    const at = v * NODE_SLOTS + PATH_KID[d] + 1;
    const end = v * NODE_SLOTS + this.kidCount[v];
    this.kids.copyWithin(at + 1, at, end);
    this.counts.copyWithin(at + 1, at, end);
    this.sepScores.copyWithin(at + 1, at, end);
    for (let i = end; i > at; i--) this.sepMembers[i] = this.sepMembers[i - 1];
    this.kids[at] = kid;
    this.counts[at - 1] = leftCount;
    this.counts[at] = rightCount;
    this.sepScores[at] = sepScore;
    this.sepMembers[at] = sepMember;
    if (++this.kidCount[v] > FANOUT) this.splitNode(v, d);
  }

  /** Moves the upper half of node `v` (at depth `d` of the noted path) into a new node after it. */
  private splitNode(v: number, d: number): void {
    const w = this.newNode();
    const n = this.kidCount[v];
    const keep = n >> 1;
    const from = v * NODE_SLOTS + keep;
    const to = w * NODE_SLOTS;
    this.kids.copyWithin(to, from, from + n - keep);
    this.counts.copyWithin(to, from, from + n - keep);
    this.sepScores.copyWithin(to, from, from + n - keep);
    let left = 0;
    let right = 0;
    for (let i = 0; i < n - keep; i++) {
      this.sepMembers[to + i] = this.sepMembers[from + i];
      this.sepMembers[from + i] = '';
      right += this.counts[to + i];
    }
    for (let i = v * NODE_SLOTS; i < from; i++) left += this.counts[i];
    this.kidCount[v] = keep;
    this.kidCount[w] = n - keep;
    // The new node's first separator goes up: its own first child needs none.
    this.addKid(d - 1, w, this.sepScores[to], this.sepMembers[to], left, right);
  }

  /** Removes entry `id`: out of the tree, its position filled by the last entry's, its id freed. */
  remove(id: number): void {
    this.unlink(id);
    this.forget(id);
  }

  /**
   * Removes the entry at 0-based `rank` (below length), found by the counts rather than
   * by its key (ZPOPMIN's and ZREMRANGEBYRANK's way); returns its member.
   */
  removeRank(rank: number): string {
    const l = this.locate(rank);
    const id = this.leafIds[l * LEAF_SLOTS + this.located];
    const member = this.memberOf[id];
    this.takeOut(l, this.located);
    this.forget(id);
    return member;
  }

  /** Frees entry `id`, out of the tree: out of the index, its position filled by the last entry's, its id for reuse. */
  private forget(id: number): void {
    this.index.remove(id);
    const pos = this.posOf[id];
    const lastId = this.byPos.pop()!;
    const lastMember = this.members.pop()!;
    if (lastId !== id) {
      this.byPos[pos] = lastId;
      this.members[pos] = lastMember;
      this.posOf[lastId] = pos;
    }
    this.memberOf[id] = '';
    this.freeIds.push(id);
  }

  /** Takes entry `id` out of its leaf. */
  private unlink(id: number): void {
    const score = this.scoreOf[id];
    const member = this.memberOf[id];
    const l = this.descend(score, member);
    this.takeOut(l, this.lowerBound(l, score, member));
  }

  /** Takes the entry at index `at` out of leaf `l` (reached by the noted path), merging what is left under a quarter full. */
  private takeOut(l: number, at: number): void {
    const height = this.height;
    const counts = this.counts;
    for (let d = 0; d < height; d++) counts[PATH_NODE[d] * NODE_SLOTS + PATH_KID[d]]--;
    const base = l * LEAF_SLOTS;
    const size = this.leafSize[l];
    const ids = this.leafIds;
    const scores = this.leafScores;
    // As in `link`, a loop: cheaper than the copyWithin builtin for a leaf's entries.
    for (let i = base + at; i < base + size - 1; i++) {
      ids[i] = ids[i + 1];
      scores[i] = scores[i + 1];
    }
    this.leafSize[l] = size - 1;
    if (size - 1 < LEAF / 4) this.mergeUp(height);
  }

  /**
   * After a removal along the noted path: from the leaf up, a child under a quarter
   * full merges with a sibling when both fit in one; then the root collapses while it
   * has a single child.
   */
  private mergeUp(height: number): void {
    for (let d = height - 1; d >= 0; d--) {
      const v = PATH_NODE[d];
      const k = PATH_KID[d];
      const leaves = d === height - 1;
      const kid = this.kids[v * NODE_SLOTS + k];
      const kidSize = leaves ? this.leafSize[kid] : this.kidCount[kid];
      if (kidSize >= (leaves ? LEAF : FANOUT) / 4) break;
      const n = this.kidCount[v];
      if (n < 2) continue;
      // The pair: the child and its right sibling, or its left one at the end.
      const left = k + 1 < n ? k : k - 1;
      if (!(leaves ? this.mergeLeaves(v, left) : this.mergeNodes(v, left))) break;
    }
    while (this.height > 0 && this.kidCount[this.root] === 1) {
      const old = this.root;
      this.root = this.kids[old * NODE_SLOTS];
      this.freeNode(old);
      this.height--;
    }
  }

  /** Merges leaf child `k + 1` of node `v` into child `k` when both fit in one leaf; true if done. */
  private mergeLeaves(v: number, k: number): boolean {
    const a = this.kids[v * NODE_SLOTS + k];
    const b = this.kids[v * NODE_SLOTS + k + 1];
    const sa = this.leafSize[a];
    const sb = this.leafSize[b];
    if (sa + sb > LEAF) return false;
    this.leafIds.copyWithin(a * LEAF_SLOTS + sa, b * LEAF_SLOTS, b * LEAF_SLOTS + sb);
    this.leafScores.copyWithin(a * LEAF_SLOTS + sa, b * LEAF_SLOTS, b * LEAF_SLOTS + sb);
    this.leafSize[a] = sa + sb;
    const next = this.leafNext[b];
    this.leafNext[a] = next;
    if (next >= 0) this.leafPrev[next] = a;
    this.freeLeaves.push(b);
    this.dropKid(v, k);
    return true;
  }

  /** Merges node child `k + 1` of node `v` into child `k` when both fit in one node; true if done. */
  private mergeNodes(v: number, k: number): boolean {
    const a = this.kids[v * NODE_SLOTS + k];
    const b = this.kids[v * NODE_SLOTS + k + 1];
    const na = this.kidCount[a];
    const nb = this.kidCount[b];
    if (na + nb > FANOUT) return false;
    const to = a * NODE_SLOTS + na;
    const from = b * NODE_SLOTS;
    this.kids.copyWithin(to, from, from + nb);
    this.counts.copyWithin(to, from, from + nb);
    this.sepScores.copyWithin(to, from, from + nb);
    for (let i = 0; i < nb; i++) this.sepMembers[to + i] = this.sepMembers[from + i];
    // b's first child takes b's separator in v.
    this.sepScores[to] = this.sepScores[v * NODE_SLOTS + k + 1];
    this.sepMembers[to] = this.sepMembers[v * NODE_SLOTS + k + 1];
    this.kidCount[a] = na + nb;
    this.freeNode(b);
    this.dropKid(v, k);
    return true;
  }

  /** Removes child `k + 1` of node `v`, its entries counted into child `k` (merged there). */
  private dropKid(v: number, k: number): void {
    const base = v * NODE_SLOTS;
    this.counts[base + k] += this.counts[base + k + 1];
    const at = base + k + 1;
    const end = base + this.kidCount[v];
    this.kids.copyWithin(at, at + 1, end);
    this.counts.copyWithin(at, at + 1, end);
    this.sepScores.copyWithin(at, at + 1, end);
    for (let i = at; i < end - 1; i++) this.sepMembers[i] = this.sepMembers[i + 1];
    this.sepMembers[end - 1] = '';
    this.kidCount[v]--;
  }

  private freeNode(v: number): void {
    for (let i = v * NODE_SLOTS; i < (v + 1) * NODE_SLOTS; i++) this.sepMembers[i] = '';
    this.freeNodes.push(v);
  }

  /**
   * Sets entry `id`'s score: in place when it stays between its neighbours in its leaf
   * (zslUpdateScore's shortcut; at a leaf's edge a separator may bound it), else out of
   * the tree and in again at its new place, keeping its id.
   */
  updateScore(id: number, score: number): void {
    const member = this.memberOf[id];
    const l = this.descend(this.scoreOf[id], member);
    const at = this.lowerBound(l, this.scoreOf[id], member);
    const base = l * LEAF_SLOTS;
    if (at > 0 && at < this.leafSize[l] - 1) {
      const ids = this.leafIds;
      const scores = this.leafScores;
      if (
        keyBefore(scores[base + at - 1], this.memberOf[ids[base + at - 1]], score, member) &&
        keyBefore(score, member, scores[base + at + 1], this.memberOf[ids[base + at + 1]])
      ) {
        scores[base + at] = score;
        this.scoreOf[id] = score;
        return;
      }
    }
    // Out from where the search above found it (its path is the one noted), then in again.
    this.takeOut(l, at);
    this.scoreOf[id] = score;
    this.link(id);
  }

  /** The 0-based rank of entry `id`. */
  rank(id: number): number {
    const score = this.scoreOf[id];
    const member = this.memberOf[id];
    const l = this.descend(score, member);
    let rank = 0;
    for (let d = 0; d < this.height; d++) {
      const base = PATH_NODE[d] * NODE_SLOTS;
      for (let k = 0; k < PATH_KID[d]; k++) rank += this.counts[base + k];
    }
    return rank + this.lowerBound(l, score, member);
  }

  /**
   * The leaf holding 0-based `rank` (below length), the path noted as `descend` notes
   * it; its index there is left in `located`.
   */
  private locate(rank: number): number {
    if (rank < 0 || rank >= this.length) throw new Error(`rank ${rank} out of range`);
    const counts = this.counts;
    let v = this.root;
    for (let d = 0; d < this.height; d++) {
      const base = v * NODE_SLOTS;
      let at = base;
      while (rank >= counts[at]) rank -= counts[at++];
      PATH_NODE[d] = v;
      PATH_KID[d] = at - base;
      v = this.kids[at];
    }
    this.located = rank;
    return v;
  }

  /** The entry at 0-based `rank` (below length), in O(log n) (zslGetElementByRank). */
  at(rank: number): number {
    const l = this.locate(rank);
    return this.leafIds[l * LEAF_SLOTS + this.located];
  }

  /**
   * Each entry from rank `from` on (nothing when out of range), forward or backward,
   * while `visit` returns true; `visit` must not change the tree.
   */
  forEach(from: number, reverse: boolean, visit: (id: number) => boolean): void {
    if (from < 0 || from >= this.length) return;
    let l = this.locate(from);
    let i = this.located;
    for (;;) {
      const base = l * LEAF_SLOTS;
      if (reverse) {
        for (; i >= 0; i--) if (!visit(this.leafIds[base + i])) return;
        l = this.leafPrev[l];
        if (l < 0) return;
        i = this.leafSize[l] - 1;
      } else {
        for (const size = this.leafSize[l]; i < size; i++) if (!visit(this.leafIds[base + i])) return;
        l = this.leafNext[l];
        if (l < 0) return;
        i = 0;
      }
    }
  }

  /**
   * The count of the first entries for which `before` holds (it must hold for a run
   * from the start, as zslFirstInRange's tests do): the children whose separator it
   * holds for are counted whole, then the leaf reached is read from its start.
   */
  countWhile(before: (score: number, member: string) => boolean): number {
    let rank = 0;
    let v = this.root;
    for (let d = 0; d < this.height; d++) {
      const base = v * NODE_SLOTS;
      const n = this.kidCount[v];
      let k = 0;
      while (k + 1 < n && before(this.sepScores[base + k + 1], this.sepMembers[base + k + 1])) rank += this.counts[base + k++];
      v = this.kids[base + k];
    }
    const base = v * LEAF_SLOTS;
    const size = this.leafSize[v];
    let i = 0;
    while (i < size && before(this.leafScores[base + i], this.memberOf[this.leafIds[base + i]])) i++;
    return rank + i;
  }
}
