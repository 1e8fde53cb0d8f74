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

const SPACE = 0x20;
const NEWLINE = 0x0a;
const DOT = 0x2e;
const ZERO = 0x30;
const SPACE_BYTE = Buffer.from(' ');

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
 * for series a scrape writes again and again (collectors/series-cache.ts).
 */
export type LabelBytes = Buffer & { readonly labelBytes: true };

/**
 * The start of a sample line, `name{labels} `, as bytes: made once per series and
 * copied as it is, so that a sample costs one copy and its value's digits (a
 * typed-array copy is several times faster than encoding a string, and one copy
 * instead of a name's and the labels' halves the copies of a scrape).
 */
export type SeriesPrefix = Buffer & { readonly seriesPrefix: true };

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

const NAMES = new Map<FamilyName, Buffer>();

/**
 * A family's name as bytes, made once: made for every series, these small buffers came
 * from Node's shared pool, and each pool slab stayed alive as long as one series' prefixes
 * cut from it did (several times the prefixes' own bytes).
 */
function nameBytes(name: FamilyName): Buffer {
  let bytes = NAMES.get(name);
  if (bytes === undefined) NAMES.set(name, (bytes = Buffer.from(name, 'latin1')));
  return bytes;
}

/**
 * The prefixes of one label set's samples in each of `families` (keyed as
 * `families` is): views of one buffer, made together.
 */
export function seriesPrefixes<K extends string>(families: Readonly<Record<K, FamilyName>>, series: LabelBytes): Record<K, SeriesPrefix> {
  const keys = Object.keys(families) as K[];
  const slab = Buffer.concat(keys.flatMap((k) => [nameBytes(families[k]), series, SPACE_BYTE]));
  const prefixes = {} as Record<K, SeriesPrefix>;
  let start = 0;
  for (const k of keys) {
    const end = start + families[k].length + series.length + 1;
    prefixes[k] = slab.subarray(start, end) as SeriesPrefix;
    start = end;
  }
  return prefixes;
}

/** Node's writers without `write`'s argument juggling (missing from @types/node, as latin1Write is). */
type Writable = Buffer & { utf8Write(s: string, offset: number): number; latin1Write(s: string, offset: number): number };

/**
 * What a family's lines were at a scrape, line by line: the series (its SeriesPrefix,
 * which stands for it), the value and where the line starts, so that the next scrape
 * can copy the lines that did not change instead of writing them again.
 */
class LineIndex {
  series: SeriesPrefix[] = [];
  values = new Float64Array(64);
  /** Line k spans `starts[k]` to `starts[k + 1]`. */
  starts = new Uint32Array(65);
  count = 0;
  /** Some lines were not samples of a SeriesPrefix (`Scrape.set`): the index does not describe the bytes. */
  plain = false;

  clear(): void {
    this.count = 0;
    this.plain = false;
    this.series.length = 0;
  }

  add(series: SeriesPrefix, value: number, start: number, end: number): void {
    const k = this.count++;
    if (k + 1 >= this.values.length) this.grow();
    this.series.push(series);
    this.values[k] = value;
    this.starts[k] = start;
    this.starts[k + 1] = end;
  }

  private grow(): void {
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
    const starts = new Uint32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
  }
}

/**
 * A family's sample lines as UTF-8 bytes, written piece by piece as they come: joined
 * as strings they made a rope of tens of thousands of pieces, and flattening it (to
 * measure or send it) cost more than reading the broker's state; a line built as one
 * string still had to be flattened before its encoding.
 *
 * Two buffers, swapped at each scrape: the last scrape's lines stay while the next
 * one is written, and a sample of the same series with the same value as the line at
 * its place last time is copied from there, in runs of such lines (one copy for a run
 * of unchanged streams or groups), instead of written again; on an idle broker most
 * lines are, all but the ages. The buffers are kept, so that they seldom grow and a
 * scrape allocates none. A scrape's lines are valid until the next but one begins.
 */
export class FamilyLines {
  private buf: Writable = Buffer.allocUnsafe(256) as Writable;
  private pos = 0;
  private index = new LineIndex();
  /** The last scrape's lines and their index. */
  private last: Writable = Buffer.allocUnsafe(256) as Writable;
  private lastIndex = new LineIndex();
  /** A run of the last scrape's lines to copy, not copied yet: `last[runFrom, runTo)` goes to `buf` at `runAt` (`pos` is past it). */
  private runFrom = 0;
  private runTo = 0;
  private runAt = 0;

  /** Starts another scrape's lines: the last ones are kept to copy from. */
  reset(): void {
    [this.buf, this.last] = [this.last, this.buf];
    [this.index, this.lastIndex] = [this.lastIndex, this.index];
    this.index.clear();
    this.pos = 0;
    this.runFrom = this.runTo = this.runAt = 0;
  }

  /** One sample of a series whose line start is made once (SeriesPrefix). */
  sample(prefix: SeriesPrefix, value: number): void {
    if (this.reused(prefix, value)) return;
    const start = this.pos;
    this.put(prefix);
    this.value(value);
    this.byte(NEWLINE);
    this.index.add(prefix, value, start, this.pos);
  }

  /**
   * One sample in seconds of a time in whole milliseconds (an ID's time, an age),
   * written digit by digit without the string that `ms / 1000` would need: the
   * same number once parsed. A family's samples are all `sample`s or all `sampleMillis`.
   */
  sampleMillis(prefix: SeriesPrefix, ms: number): void {
    if (this.reused(prefix, ms)) return;
    const start = this.pos;
    this.put(prefix);
    if (Number.isSafeInteger(ms) && ms >= 0) {
      const fraction = ms % 1000;
      this.value((ms - fraction) / 1000);
      if (fraction !== 0) this.fraction(fraction);
    } else {
      this.value(ms / 1000);
    }
    this.byte(NEWLINE);
    this.index.add(prefix, ms, start, this.pos);
  }

  /** A line of a series without a SeriesPrefix: `series{labelText} value`. */
  line(series: string, labelText: LabelText, value: number): void {
    this.flush();
    this.index.plain = true;
    this.latin1(series);
    if (labelText !== '') {
      this.byte(0x7b);
      this.text(labelText);
      this.byte(0x7d);
    }
    this.byte(SPACE);
    this.value(value);
    this.byte(NEWLINE);
  }

  /**
   * Whether the sample's line is the one at its place in the last scrape (same series,
   * same value): then it joins the run to copy. Otherwise the run is copied, and the
   * caller writes the line.
   */
  private reused(prefix: SeriesPrefix, value: number): boolean {
    const last = this.lastIndex;
    const k = this.index.count;
    if (k < last.count && !last.plain && last.series[k] === prefix && last.values[k] === value) {
      const from = last.starts[k];
      const to = last.starts[k + 1];
      if (from !== this.runTo || this.runFrom === this.runTo) {
        this.flush();
        this.runFrom = from;
        this.runAt = this.pos;
      }
      this.runTo = to;
      this.index.add(prefix, value, this.pos, this.pos + to - from);
      this.pos += to - from;
      return true;
    }
    this.flush();
    return false;
  }

  /** Copies the pending run of unchanged lines into place. */
  private flush(): void {
    if (this.runFrom === this.runTo) return;
    this.room(0);
    this.last.copy(this.buf, this.runAt, this.runFrom, this.runTo);
    this.runFrom = this.runTo = 0;
  }

  /** Room for `n` more bytes past `pos` (which may already be past the end, by a pending run). */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size) as Writable;
    this.buf.copy(grown, 0, 0, Math.min(this.pos, this.buf.length));
    this.buf = grown;
  }

  /** One char per byte: ASCII names. */
  private latin1(s: string): void {
    this.room(s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  private put(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private text(s: string): void {
    // At most 3 bytes per UTF-16 unit.
    this.room(s.length * 3);
    this.pos += this.buf.utf8Write(s, this.pos);
  }

  private byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A sample's value; counts and sizes (whole numbers, most samples) digit by digit, without a string. */
  private value(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) return this.latin1(formatValue(v));
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    for (let i = this.pos + digits - 1; i >= this.pos; i--, v = Math.floor(v / 10)) this.buf[i] = ZERO + (v % 10);
    this.pos += digits;
  }

  /** `.` and thousandths 1-999, without trailing zeros. */
  private fraction(thousandths: number): void {
    this.room(4);
    const buf = this.buf;
    buf[this.pos++] = DOT;
    buf[this.pos++] = ZERO + Math.floor(thousandths / 100);
    const rest = thousandths % 100;
    if (rest === 0) return;
    buf[this.pos++] = ZERO + Math.floor(rest / 10);
    if (rest % 10 !== 0) buf[this.pos++] = ZERO + (rest % 10);
  }

  bytes(): Buffer {
    this.flush();
    return this.buf.subarray(0, this.pos);
  }
}

export class Scrape {
  private readonly lines: Map<FamilyName, FamilyLines>;
  /** The scrape's instant (ms): every age is measured from it. */
  readonly now = Date.now();

  /**
   * `previous`: the last scrape, already sent: this one takes over its families' lines
   * (FamilyLines), copying what did not change from them.
   */
  constructor(previous?: Scrape) {
    if (previous !== undefined) {
      this.lines = previous.lines;
      for (const lines of this.lines.values()) lines.reset();
    } else {
      this.lines = new Map((Object.keys(FAMILIES) as FamilyName[]).map((name) => [name, new FamilyLines()]));
    }
  }

  /** The lines of each of `families` (keyed as `families` is), for a collector that writes many samples to them (`FamilyLines.sample`). */
  families<K extends string>(families: Readonly<Record<K, FamilyName>>): Record<K, FamilyLines> {
    const lines = {} as Record<K, FamilyLines>;
    for (const k of Object.keys(families) as K[]) lines[k] = this.lines.get(families[k])!;
    return lines;
  }

  /** One value of a gauge or a counter. */
  set(name: FamilyName, value: number, labelText: LabelText = ''): void {
    this.add(name, name, labelText, value);
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
    this.lines.get(family)!.line(series, labelText, value);
  }

  /** A family's sample lines, newline-terminated, as UTF-8 (valid until the next scrape but one begins). */
  linesOf(family: FamilyName): Buffer {
    return this.lines.get(family)!.bytes();
  }
}
