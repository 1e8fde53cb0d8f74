/**
 * A short list of strings packed into one string, as a listpack packs its entries into
 * one allocation: each entry is its length (one char below 255; else char 255 and four
 * chars of a 32-bit length) and its chars. A JS string of its own costs 16 bytes of
 * header and up to 7 of rounding, plus the 8-byte slot that holds it; packed, an entry
 * costs its bytes and one. An entry is found by a linear scan and a change rebuilds the
 * string (flat, by `join`: a concatenation would leave a tree of pieces behind), O(n)
 * as a listpack's memmove: for the small encodings only (the listpack hashes and sorted
 * sets of engine/types/hash.ts and zset.ts).
 */

/** The length prefix of an entry of `n` chars. */
function prefix(n: number): string {
  return n < 255 ? String.fromCharCode(n) : String.fromCharCode(255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

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

  /** The index of the first entry equal to `s` among entries `first`, `first + step`, ...; -1 when none. */
  indexOf(s: string, step = 1, first = 0): number {
    const packed = this.packed;
    const n = s.length;
    // The last char first: names that share a prefix (member:0001, member:0002) differ at the end.
    const last = n === 0 ? 0 : s.charCodeAt(n - 1);
    let p = this.offsetOf(first);
    for (let i = first; i < this.count; i += step) {
      const length = this.lengthAt(p);
      if (length === n && (n === 0 || packed.charCodeAt(this.startAt(p) + n - 1) === last) && packed.startsWith(s, this.startAt(p))) return i;
      p = this.after(p);
      for (let k = 1; k < step && i + k < this.count; k++) p = this.after(p);
    }
    return -1;
  }

  /** Entry `i` (below size). */
  at(i: number): string {
    const p = this.offsetOf(i);
    const start = this.startAt(p);
    return this.packed.slice(start, start + this.lengthAt(p));
  }

  /** The length of entry `i` (below size). */
  lengthOf(i: number): number {
    return this.lengthAt(this.offsetOf(i));
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

  /** Replaces entry `i` (below size) with `s`. */
  replace(i: number, s: string): void {
    const p = this.offsetOf(i);
    this.entryChars += s.length - this.lengthAt(p);
    this.packed = [this.packed.slice(0, p), prefix(s.length), s, this.packed.slice(this.after(p))].join('');
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
      const start = this.startAt(offsets[i]);
      if (!visit(packed.slice(start, start + this.lengthAt(offsets[i])), i)) return;
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
