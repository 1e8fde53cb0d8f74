/**
 * The wall-clock time a command runs at (Engine.call's `now`, redis-server's
 * server.mstime), read off the performance.now() that dispatch takes anyway to time
 * the command, rather than by a Date.now() of its own: in Node each clock reading
 * costs 0.1-0.2 us (against 40 ns for clock_gettime in C), and three per command were
 * a tenth of a pipelined SET's CPU.
 *
 * Wall time is the monotonic reading plus an offset. Date.now() truncates to the
 * millisecond, so `Date.now() - performance.now()` is the true offset or up to 1 ms
 * below it: the offset kept is the largest such reading, found exactly at start (on a
 * millisecond tick) and checked again at every cron tick (`resync`); a reading outside
 * that 1 ms band means the wall clock was set or slewed, and it is taken as it is.
 * At that check `at` is at most 1 ms behind Date.now(), as a clock read a moment
 * earlier would be. Between checks the two clocks drift apart where the wall clock is
 * slewed (NTP: up to 500 ppm), and a drift of under a millisecond is not told apart from
 * Date.now()'s truncation, so `at` may also run up to a millisecond ahead. Within 1 ms
 * either way is what a command's times need (TTLs and stream IDs are in milliseconds,
 * and stream IDs stay monotonic whatever the clock does).
 */
export class WallClock {
  private offset: number;

  constructor() {
    // Readings until Date.now() ticks (under 1 ms, once): the largest, at the tick, is
    // exact; one the process was preempted in the middle of is smaller. A clock that does
    // not tick (a test's stand-in) stops them after 2 ms all the same.
    const first = Date.now();
    const until = performance.now() + 2;
    this.offset = -Infinity;
    for (;;) {
      const wall = Date.now();
      this.offset = Math.max(this.offset, wall - performance.now());
      if (wall !== first || performance.now() >= until) break;
    }
  }

  /** Milliseconds since the epoch (an integer, as Date.now()) at `monotonic`, a performance.now() reading. */
  at(monotonic: number): number {
    return Math.floor(monotonic + this.offset);
  }

  /** Follows the wall clock: called periodically (the cron). */
  resync(): void {
    // The larger of two readings: one the process was preempted in the middle of would
    // look like a clock set back.
    const reading = Math.max(Date.now() - performance.now(), Date.now() - performance.now());
    if (reading > this.offset || reading <= this.offset - 1) this.offset = reading;
  }
}
