/**
 * A short list of strings packed into one string, as a listpack packs its entries into
 * one allocation: each entry is its length (one char below 255; else char 255 and four
 * chars of a 32-bit length) and its chars. A JS string of its own costs 16 bytes of
 * header and up to 7 of rounding, plus the 8-byte slot that holds it; packed, an entry
 * costs its bytes and one. An entry is found by a linear scan and a change rebuilds the
 * string (flat, by `join`: a concatenation would leave a tree of pieces behind), O(n)
 * as a listpack's memmove: for the small encodings only (the listpack hashes and sorted
 * sets of engine/types/hash.ts and zset.ts, which keep pairs: field and value, member
 * and score).
 *
 * The common update, a pair's second entry looked up by its first and changed (HSET of
 * a field that is there), scans once (`replaceAfter`), and leaves the string as it is
 * when the new entry equals the old one.
 */

/** The length prefix of an entry of `n` chars. */
function prefix(n: number): string {
  return n < 255 ? String.fromCharCode(n) : String.fromCharCode(255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** The index of the entry the last `find` found (one scan at a time: no state kept per list). */
let foundIndex = -1;

export class PackedStrings {
  private packed = '';
  private count = 0;
  private entryChars = 0;

  /** Entries. */
  get size(): number {
    return this.count;
  }

  /** The entries' chars together. */
  get chars(): number {
    return this.entryChars;
  }

  /** The packed string's length: the entries' chars and their prefixes. */
  get packedLength(): number {
    return this.packed.length;
  }

  /** Where the chars of the entry at offset `p` start. */
  private startAt(p: number): number {
    return this.packed.charCodeAt(p) < 255 ? p + 1 : p + 5;
  }

  /** The length of the entry at offset `p`. */
  private lengthAt(p: number): number {
    const s = this.packed;
    const c = s.charCodeAt(p);
    if (c < 255) return c;
    return ((s.charCodeAt(p + 1) << 24) | (s.charCodeAt(p + 2) << 16) | (s.charCodeAt(p + 3) << 8) | s.charCodeAt(p + 4)) >>> 0;
  }

  /** The offset of the entry after the one at `p`. */
  private after(p: number): number {
    return this.startAt(p) + this.lengthAt(p);
  }

  /** The offset of entry `i` (the string's length for i = size). */
  private offsetOf(i: number): number {
    let p = 0;
    for (let k = 0; k < i; k++) p = this.after(p);
    return p;
  }

  /** The entry at offset `p`. */
  private entryAt(p: number): string {
    const start = this.startAt(p);
    return this.packed.slice(start, start + this.lengthAt(p));
  }

  /**
   * The offset of the first entry equal to `s` among entries `first`, `first + step`,
   * ... (its index in `foundIndex`); -1 when none.
   */
  private find(s: string, step: number, first: number): number {
    const packed = this.packed;
    const n = s.length;
    // The last char first: names that share a prefix (member:0001, member:0002) differ at the end.
    const last = n === 0 ? 0 : s.charCodeAt(n - 1);
    let p = this.offsetOf(first);
    for (let i = first; i < this.count; i += step) {
      const length = this.lengthAt(p);
      if (length === n && (n === 0 || packed.charCodeAt(this.startAt(p) + n - 1) === last) && packed.startsWith(s, this.startAt(p))) {
        foundIndex = i;
        return p;
      }
      p = this.after(p);
      for (let k = 1; k < step && i + k < this.count; k++) p = this.after(p);
    }
    return -1;
  }

  /** The index of the first entry equal to `s` among entries `first`, `first + step`, ...; -1 when none. */
  indexOf(s: string, step = 1, first = 0): number {
    return this.find(s, step, first) < 0 ? -1 : foundIndex;
  }

  /** The entry after the first entry equal to `s` among entries 0, `step`, 2 `step`...; undefined when none. */
  entryAfter(s: string, step: number): string | undefined {
    const p = this.find(s, step, 0);
    return p < 0 ? undefined : this.entryAt(this.after(p));
  }

  /**
   * Replaces the entry after the first entry equal to `key` among entries 0, `step`,
   * 2 `step`... with `s` (the string stays as it is when they are equal); false when
   * there is no such entry.
   */
  replaceAfter(key: string, step: number, s: string): boolean {
    const k = this.find(key, step, 0);
    if (k < 0) return false;
    const p = this.after(k);
    const length = this.lengthAt(p);
    if (length === s.length && this.packed.startsWith(s, this.startAt(p))) return true;
    this.entryChars += s.length - length;
    this.packed = [this.packed.slice(0, p), prefix(s.length), s, this.packed.slice(this.after(p))].join('');
    return true;
  }

  /** Entry `i` (below size). */
  at(i: number): string {
    return this.entryAt(this.offsetOf(i));
  }

  /** Inserts `strings` before entry `i` (at the end for i = size). */
  insert(i: number, strings: readonly string[]): void {
    const p = this.offsetOf(i);
    const parts = [this.packed.slice(0, p)];
    for (const s of strings) {
      parts.push(prefix(s.length), s);
      this.entryChars += s.length;
    }
    parts.push(this.packed.slice(p));
    this.packed = parts.join('');
    this.count += strings.length;
  }

  /** Removes `n` entries from `i` on (all within the list); returns their chars. */
  remove(i: number, n: number): number {
    const from = this.offsetOf(i);
    let to = from;
    let chars = 0;
    for (let k = 0; k < n; k++) {
      chars += this.lengthAt(to);
      to = this.after(to);
    }
    this.packed = [this.packed.slice(0, from), this.packed.slice(to)].join('');
    this.count -= n;
    this.entryChars -= chars;
    return chars;
  }

  /**
   * Each entry from `from` on (nothing when -1 or past the end), forward or backward,
   * with its index, while `visit` returns true.
   */
  forEach(from: number, reverse: boolean, visit: (s: string, i: number) => boolean): void {
    if (from < 0 || from >= this.count) return;
    const packed = this.packed;
    if (!reverse) {
      let p = this.offsetOf(from);
      for (let i = from; i < this.count; i++) {
        const start = this.startAt(p);
        const end = start + this.lengthAt(p);
        if (!visit(packed.slice(start, end), i)) return;
        p = end;
      }
      return;
    }
    // Backward: the offsets first (prefixes only read forward).
    const offsets = new Array<number>(from + 1);
    for (let i = 0, p = 0; i <= from; i++, p = this.after(p)) offsets[i] = p;
    for (let i = from; i >= 0; i--) {
      if (!visit(this.entryAt(offsets[i]), i)) return;
    }
  }

  /** A copy (the packed string is shared: strings do not change). */
  clone(): PackedStrings {
    const copy = new PackedStrings();
    copy.packed = this.packed;
    copy.count = this.count;
    copy.entryChars = this.entryChars;
    return copy;
  }
}
