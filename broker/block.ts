/** Blocking the whole process on purpose (debugging knobs: DEBUG SLEEP, key-load-delay). */

/** A word Atomics.wait can block on: nothing ever notifies it. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the process for `ms` milliseconds (fractions too), as redis-server's usleep: nothing else runs meanwhile. */
export function blockFor(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
