/**
 * A family's lines (broker/http/scrape.ts FamilyLines) copy from the last scrape the
 * lines whose series and value did not change: whatever changed from scrape to scrape
 * (values, series added, removed or reordered, plain lines among them), the bytes are
 * those written afresh.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FamilyLines, labelBytes, seriesPrefixes, type SeriesPrefix } from '../../broker/http/scrape.js';

const PREFIXES: SeriesPrefix[] = Array.from({ length: 8 }, (_, i) => seriesPrefixes({ p: 'broker_stream_length' }, labelBytes(`stream="s${i}"`)).p);

type Sample = { series: number; value: number; millis: boolean } | { plain: number };

/** The lines as written without any copying. */
function expected(samples: Sample[]): string {
  return samples
    .map((s) => {
      if ('plain' in s) return `broker_streams ${s.plain}\n`;
      const value = s.millis ? s.value / 1000 : s.value;
      return `${PREFIXES[s.series].toString('latin1')}${value}\n`;
    })
    .join('');
}

function write(lines: FamilyLines, samples: Sample[]): string {
  lines.reset();
  for (const s of samples) {
    if ('plain' in s) lines.line('broker_streams', '', s.plain);
    else if (s.millis) lines.sampleMillis(PREFIXES[s.series], s.value);
    else lines.sample(PREFIXES[s.series], s.value);
  }
  return lines.bytes().toString('latin1');
}

describe('FamilyLines', () => {
  it('writes each scrape as if afresh, copying the unchanged lines of the last one', () => {
    // Each series is always a sample or always a sampleMillis, as a family's are.
    const sample = fc.oneof(
      fc.record({ series: fc.integer({ min: 0, max: 7 }), value: fc.constantFrom(0, 1, 7, 10, 123456, 2.5) }).map((s) => ({ ...s, millis: s.series >= 4 })),
      fc.record({ plain: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(sample, { maxLength: 40 }), { minLength: 1, maxLength: 6 }), (scrapes) => {
        const lines = new FamilyLines();
        for (const samples of scrapes) expect(write(lines, samples)).toBe(expected(samples));
      }),
    );
  });

  it('copies a run of unchanged lines between changed ones', () => {
    const lines = new FamilyLines();
    const first: Sample[] = [0, 1, 2, 3].map((series) => ({ series, value: series, millis: false }));
    expect(write(lines, first)).toBe(expected(first));
    const second: Sample[] = [{ series: 0, value: 9, millis: false }, ...first.slice(1, 3), { series: 3, value: 1000, millis: false }];
    expect(write(lines, second)).toBe(expected(second));
    expect(write(lines, second)).toBe(expected(second));
  });
});
