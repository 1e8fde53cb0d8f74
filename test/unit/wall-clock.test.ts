/**
 * The wall clock dispatch gives commands (broker/dispatch/wall-clock.ts): read off a
 * performance.now() reading, it agrees with Date.now() to the millisecond (either way: a
 * slewed wall clock drifts from the monotonic one between resyncs), and follows a wall
 * clock that moves.
 */
import { describe, expect, it } from 'vitest';
import { WallClock } from '../../broker/dispatch/wall-clock.js';

describe('WallClock', () => {
  it('gives Date.now() to within a millisecond for the same moment', () => {
    const clock = new WallClock();
    for (let i = 0; i < 100_000; i++) {
      const before = Date.now();
      const at = clock.at(performance.now());
      const after = Date.now();
      expect(at).toBeGreaterThanOrEqual(before - 1);
      expect(at).toBeLessThanOrEqual(after + 1);
      expect(Number.isInteger(at)).toBe(true);
    }
  });

  it('follows a wall clock that is set back or forward once resynced', () => {
    const clock = new WallClock();
    const realNow = Date.now;
    for (const shift of [-3_600_000, 5_000, -2]) {
      const base = realNow();
      Date.now = () => realNow() + shift;
      try {
        clock.resync();
        const at = clock.at(performance.now());
        expect(Math.abs(at - (base + shift))).toBeLessThanOrEqual(50);
      } finally {
        Date.now = realNow;
      }
      clock.resync();
    }
  });
});
