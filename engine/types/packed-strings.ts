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
 *
 * A base class, not a part: a hash or sorted set is its own packed list (its packed form
 * empty once it moved to a table or a skiplist), one object where a part of its own
 * cost a 48-byte object and a field to hold it, a fifth of a 10-member sorted set.
 */

/** The length prefix of an entry of `n` chars. */
function prefix(n: number): string {
  return n < 255 ? String.fromCharCode(n) : String.fromCharCode(255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/**
 * `packed.startsWith(s, start)`, faster: V8 compares two strings with `===` as memcmp
 * does, where startsWith and a charCodeAt loop take about 3 ns a char. The slice is a
 * copy below 13 chars (as fast as `===` alone) and a view from 13 on (a fixed cost of
 * about fifteen chars' loop). 20-char names: 72 ns -> 50 (loaded machine).
 */
function equalsAt(packed: string, start: number, s: string): boolean {
  return packed.slice(start, start + s.length) === s;
}

/** The index of the entry the last `find` found (one scan at a time: no state kept per list). */
let foundIndex = -1;

export abstract class PackedStrings {
  private packed = '';
  /** Entries. */
  protected packedCount = 0;

  /** The packed string's length: the entries' chars and their prefixes (0 when empty), for the memory accounting. */
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
  private entryAtOffset(p: number): string {
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
    for (let i = first; i < this.packedCount; i += step) {
      const length = this.lengthAt(p);
      if (length === n && (n === 0 || packed.charCodeAt(this.startAt(p) + n - 1) === last) && equalsAt(packed, this.startAt(p), s)) {
        foundIndex = i;
        return p;
      }
      p = this.after(p);
      for (let k = 1; k < step && i + k < this.packedCount; k++) p = this.after(p);
    }
    return -1;
  }

  /** The index of the first entry equal to `s` among entries `first`, `first + step`, ...; -1 when none. */
  protected indexOfEntry(s: string, step = 1, first = 0): number {
    return this.find(s, step, first) < 0 ? -1 : foundIndex;
  }

  /** The entry after the first entry equal to `s` among entries 0, `step`, 2 `step`...; undefined when none. */
  protected entryAfter(s: string, step: number): string | undefined {
    const p = this.find(s, step, 0);
    return p < 0 ? undefined : this.entryAtOffset(this.after(p));
  }

  /**
   * Replaces the entry after the first entry equal to `key` among entries 0, `step`,
   * 2 `step`... with `s` (the string stays as it is when they are equal); false when
   * there is no such entry.
   */
  protected replaceAfter(key: string, step: number, s: string): boolean {
    const k = this.find(key, step, 0);
    if (k < 0) return false;
    const p = this.after(k);
    const length = this.lengthAt(p);
    const start = this.startAt(p);
    // The first char before the call: a changed value mostly differs there.
    if (length === s.length && (length === 0 || this.packed.charCodeAt(start) === s.charCodeAt(0)) && equalsAt(this.packed, start, s)) return true;
    this.packed = [this.packed.slice(0, p), prefix(s.length), s, this.packed.slice(this.after(p))].join('');
    return true;
  }

  /** The chars of entries `first`, `first + step`, ... together: a scan, for what is rarely asked (a payload's bytes). */
  protected entryChars(step = 1, first = 0): number {
    let chars = 0;
    this.scanEntries(first, (_, __, length, i) => {
      if ((i - first) % step === 0) chars += length;
      return true;
    });
    return chars;
  }

  /** Entry `i` (below the count). */
  protected entry(i: number): string {
    return this.entryAtOffset(this.offsetOf(i));
  }

  /** Inserts `strings` before entry `i` (at the end for i = the count). */
  protected insertEntries(i: number, strings: readonly string[]): void {
    const p = this.offsetOf(i);
    const parts = [this.packed.slice(0, p)];
    for (const s of strings) parts.push(prefix(s.length), s);
    parts.push(this.packed.slice(p));
    this.packed = parts.join('');
    this.packedCount += strings.length;
  }

  /** Removes `n` entries from `i` on (all within the list). */
  protected removeEntries(i: number, n: number): void {
    const from = this.offsetOf(i);
    let to = from;
    for (let k = 0; k < n; k++) to = this.after(to);
    this.packed = [this.packed.slice(0, from), this.packed.slice(to)].join('');
    this.packedCount -= n;
  }

  /** Removes every entry. */
  protected clearEntries(): void {
    this.packed = '';
    this.packedCount = 0;
  }

  /**
   * Each entry from `from` on (nothing when -1 or past the end), forward, where it lies:
   * `length` chars of `packed` from `start` (nothing copied), with its index, while
   * `visit` returns true.
   */
  protected scanEntries(from: number, visit: (packed: string, start: number, length: number, i: number) => boolean): void {
    if (from < 0 || from >= this.packedCount) return;
    const packed = this.packed;
    let p = this.offsetOf(from);
    for (let i = from; i < this.packedCount; i++) {
      const start = this.startAt(p);
      const length = this.lengthAt(p);
      if (!visit(packed, start, length, i)) return;
      p = start + length;
    }
  }

  /**
   * Each entry from `from` on (nothing when -1 or past the end), forward or backward,
   * with its index, while `visit` returns true.
   */
  protected forEachEntry(from: number, reverse: boolean, visit: (s: string, i: number) => boolean): void {
    if (from < 0 || from >= this.packedCount) return;
    if (!reverse) return this.scanEntries(from, (packed, start, length, i) => visit(packed.slice(start, start + length), i));
    // Backward: the offsets first (prefixes only read forward).
    const offsets = new Array<number>(from + 1);
    for (let i = 0, p = 0; i <= from; i++, p = this.after(p)) offsets[i] = p;
    for (let i = from; i >= 0; i--) {
      if (!visit(this.entryAtOffset(offsets[i]), i)) return;
    }
  }

  /** Takes `other`'s entries as its own (the packed string is shared: strings do not change). */
  protected copyEntries(other: PackedStrings): void {
    this.packed = other.packed;
    this.packedCount = other.packedCount;
  }
}
