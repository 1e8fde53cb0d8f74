/**
 * redis-server's LFU access counters (evict.c), used when maxmemory-policy is an
 * LFU one: the per-key access word then holds `minutes << 8 | counter`, where
 * `minutes` is the 16-bit time of the last decrement and `counter` an 8-bit
 * logarithmic frequency that decays by one every `decayMinutes`.
 */

/** The counter a new key starts with, so it is not evicted before it can be used. */
const LFU_INIT_VAL = 5;

function minutesNow(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 65535;
}

function minutesElapsed(since: number, nowMs: number): number {
  const now = minutesNow(nowMs);
  return now >= since ? now - since : 65535 - since + now;
}

/** The access word of a key created now. */
export function lfuInitial(nowMs: number): number {
  return lfuWord(nowMs, LFU_INIT_VAL);
}

/** The access word of a key accessed now with counter `counter` (RESTORE ... FREQ). */
export function lfuWord(nowMs: number, counter: number): number {
  return (minutesNow(nowMs) << 8) | counter;
}

/** The counter after applying the decay owed since the last access (LFUDecrAndReturn). */
export function lfuCounter(word: number, nowMs: number, decayMinutes: number): number {
  const counter = word & 255;
  const periods = decayMinutes > 0 ? Math.floor(minutesElapsed(word >>> 8, nowMs) / decayMinutes) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** The access word after one more access (updateLFU): decay, then a logarithmic increment. */
export function lfuAccess(word: number, nowMs: number, logFactor: number, decayMinutes: number): number {
  let counter = lfuCounter(word, nowMs, decayMinutes);
  if (counter < 255) {
    const base = Math.max(counter - LFU_INIT_VAL, 0);
    if (Math.random() < 1 / (base * logFactor + 1)) counter++;
  }
  return (minutesNow(nowMs) << 8) | counter;
}
