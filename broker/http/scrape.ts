/**
 * One scrape's samples. Collectors (collectors/) read the broker's state at scrape
 * time and write what they find here, family by family, as exposition lines; the
 * registry (registry.ts) adds each family's HELP and TYPE lines. A sample line is the
 * same in the Prometheus text format and in OpenMetrics (counter samples end in
 * `_total` in both), so it is written once. Nothing here runs on the command path.
 *
 * Lines are built here rather than by prom-client's metric objects: for 10,000
 * streams with 3 groups each, prom-client's rendering took about 1.5 s per scrape and
 * this about a tenth of it (test/bench/metrics-scrape.ts).
 */
import type { DurationHistogram } from '../../engine/stream-stats.js';
import { FAMILIES, type FamilyName } from './families.js';

/** Rendered labels, `name="value",...` without braces (see `labels`). */
export type LabelText = string;

/** A label value escaped as the exposition formats want (backslash, quote, newline). */
function escapeValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** Renders labels once, for every sample that shares them. */
export function labels(pairs: Record<string, string>): LabelText {
  let out = '';
  for (const name in pairs) out += `${out === '' ? '' : ','}${name}="${escapeValue(pairs[name])}"`;
  return out;
}

/** `base` with one more label. */
function withLabel(base: LabelText, name: string, value: string): LabelText {
  return `${base}${base === '' ? '' : ','}${name}="${escapeValue(value)}"`;
}

function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

/**
 * Label sets as the bytes a sample carries, `{name="value",...}` in UTF-8: made once
 * for series a scrape writes again and again (collectors/series-labels.ts), and
 * copied as they are (a typed-array copy is several times faster than encoding a string).
 */
export type LabelBytes = Buffer & { readonly labelBytes: true };

/** `{labels}` as LabelBytes. */
export function labelBytes(text: LabelText): LabelBytes {
  return Buffer.from(`{${text}}`, 'utf8') as LabelBytes;
}

/** A name or label value from the engine (a latin1 string of its bytes) as the UTF-8 bytes of its text, escaped, in a latin1 string. */
export function labelValueBytes(bytes: string): string {
  // Bytes that are not valid UTF-8 are written as the text decoding them gives (U+FFFD).
  const text = /[\x80-\xff]/.test(bytes) ? Buffer.from(Buffer.from(bytes, 'latin1').toString('utf8'), 'utf8').latin1Slice() : bytes;
  return escapeValue(text);
}

/** `base` (LabelBytes) with one more label whose value is already labelValueBytes. */
export function withLabelBytes(base: LabelBytes, name: string, valueBytes: string): LabelBytes {
  const inner = base.latin1Slice(1, base.length - 1);
  return Buffer.from(`{${inner}${inner === '' ? '' : ','}${name}="${valueBytes}"}`, 'latin1') as LabelBytes;
}

/** Node's writers without `write`'s argument juggling (missing from @types/node, as latin1Write is). */
type Writable = Buffer & { utf8Write(s: string, offset: number): number; latin1Write(s: string, offset: number): number };

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * A family's sample lines as UTF-8 bytes, written piece by piece as they come: joined
 * as strings they made a rope of tens of thousands of pieces, and flattening it (to
 * measure or send it) cost more than reading the broker's state; a line built as one
 * string still had to be flattened before its encoding. Sized at the start for what
 * the family took at the previous scrape, so that it seldom grows.
 */
class Lines {
  private buf: Writable;
  private pos = 0;

  /** The family's name, which starts each of its plain samples. */
  readonly name: Buffer;

  constructor(name: FamilyName, size: number) {
    this.name = Buffer.from(name, 'latin1');
    this.buf = Buffer.allocUnsafe(Math.max(size, 256)) as Writable;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size) as Writable;
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** One char per byte: ASCII names. */
  latin1(s: string): void {
    this.room(s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  put(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  text(s: string): void {
    // At most 3 bytes per UTF-16 unit.
    this.room(s.length * 3);
    this.pos += this.buf.utf8Write(s, this.pos);
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A sample's value; counts and sizes (whole numbers, most samples) digit by digit, without a string. */
  value(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) return this.latin1(formatValue(v));
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    for (let i = this.pos + digits - 1; i >= this.pos; i--, v = Math.floor(v / 10)) this.buf[i] = 0x30 + (v % 10);
    this.pos += digits;
  }

  get length(): number {
    return this.pos;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Scrape {
  private readonly lines = new Map<FamilyName, Lines>();
  /** The scrape's instant (ms): every age is measured from it. */
  readonly now = Date.now();

  /** `sizes`: each family's bytes at the previous scrape (`sizes()`), the room its lines start with. */
  constructor(sizes?: ReadonlyMap<FamilyName, number>) {
    for (const name of Object.keys(FAMILIES) as FamilyName[]) this.lines.set(name, new Lines(name, sizes?.get(name) ?? 0));
  }

  /** One value of a gauge or a counter. */
  set(name: FamilyName, value: number, labelText: LabelText = ''): void {
    this.add(name, name, labelText, value);
  }

  /** One value of a gauge or a counter whose labels are made once (LabelBytes). */
  setSeries(name: FamilyName, value: number, series: LabelBytes): void {
    const lines = this.lines.get(name)!;
    lines.put(lines.name);
    lines.put(series);
    lines.byte(SPACE);
    lines.value(value);
    lines.byte(NEWLINE);
  }

  /** A histogram from per-bucket counts (DurationHistogram). */
  histogram(name: FamilyName, h: DurationHistogram, labelText: LabelText = ''): void {
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i];
      this.bucket(name, bound, cumulative, labelText);
    });
    this.histogramTotals(name, h.count, h.sum, labelText);
  }

  /** A histogram's bucket (`le` in seconds) with its cumulative count. */
  bucket(name: FamilyName, le: number, cumulative: number, labelText: LabelText): void {
    this.add(name, `${name}_bucket`, withLabel(labelText, 'le', formatValue(le)), cumulative);
  }

  /** A histogram's +Inf bucket, `_sum` and `_count`. */
  histogramTotals(name: FamilyName, count: number, sum: number, labelText: LabelText): void {
    this.add(name, `${name}_bucket`, withLabel(labelText, 'le', '+Inf'), count);
    this.add(name, `${name}_sum`, labelText, sum);
    this.add(name, `${name}_count`, labelText, count);
  }

  private add(family: FamilyName, series: string, labelText: LabelText, value: number): void {
    const lines = this.lines.get(family)!;
    lines.latin1(series);
    if (labelText !== '') {
      lines.byte(0x7b);
      lines.text(labelText);
      lines.byte(0x7d);
    }
    lines.byte(SPACE);
    lines.value(value);
    lines.byte(NEWLINE);
  }

  /** A family's sample lines, newline-terminated, as UTF-8. */
  linesOf(family: FamilyName): Buffer {
    return this.lines.get(family)!.bytes();
  }

  /** Each family's bytes, for the next scrape's constructor. */
  sizes(): Map<FamilyName, number> {
    const sizes = new Map<FamilyName, number>();
    for (const [name, lines] of this.lines) sizes.set(name, lines.length);
    return sizes;
  }
}
