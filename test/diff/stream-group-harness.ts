/**
 * Shared by the consumer group tests: replies compared byte for byte with
 * redis-server, except the fields that read the clock (idle times, seen times,
 * delivery times), which are compared within a tolerance: the two servers run the
 * same command a few milliseconds apart.
 */
import { expect } from 'vitest';
import { maskRadixTreeNodes, show, type DiffPair } from '../harness/diff.js';
import { encodeCommand, type RawReply } from '../harness/raw.js';

/** How far apart two servers' clock readings for the same command may be, in ms. */
const CLOCK_TOLERANCE_MS = 2000;

/**
 * Integers that come from the clock, each as the regex of what precedes it: XINFO
 * CONSUMERS' idle, XINFO STREAM FULL's seen-time, and the third element of a
 * pending entry (XPENDING's idle, FULL's delivery time) or FULL's consumer pending
 * entry (`[id, delivery time, count]`).
 */
const TIME_FIELDS = [
  /(\$4\r\nidle\r\n:)(-?\d+)/g,
  /(\$9\r\nseen-time\r\n:)(-?\d+)/g,
  /(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n:)(-?\d+)/g,
  /(\*3\r\n\$\d+\r\n\d+-\d+\r\n:)(-?\d+)/g,
];

/**
 * A consumer's seen time: after an effects replay, the time of the replay (the
 * effects carry delivery times, not when consumers were last seen).
 */
const SEEN_TIME = /(\$9\r\nseen-time\r\n:)(-?\d+)/g;

/** The reply with clock fields replaced by `?`, and their values in order. */
export function maskTimes(raw: Buffer, ignoreSeenTime = false): { masked: string; times: number[] } {
  let text = raw.toString('latin1');
  if (ignoreSeenTime) text = text.replace(SEEN_TIME, '$1?');
  const times: number[] = [];
  for (const re of TIME_FIELDS) {
    text = text.replace(re, (_m, prefix: string, n: string) => {
      times.push(Number(n));
      return prefix + '?';
    });
  }
  return { masked: JSON.stringify(maskRadixTreeNodes(text)), times };
}

/** Expects two replies equal except clock fields, which must be close (seen times may be ignored). */
export function expectSameTimed(ours: Buffer, ref: Buffer, what: string, ignoreSeenTime = false): void {
  const a = maskTimes(ours, ignoreSeenTime);
  const b = maskTimes(ref, ignoreSeenTime);
  expect(a.masked, what).toBe(b.masked);
  a.times.forEach((t, i) => {
    expect(Math.abs(t - b.times[i]), `${what}: clock field ${i} (${t} vs ${b.times[i]}) within tolerance`).toBeLessThanOrEqual(CLOCK_TOLERANCE_MS);
  });
}

/** A pair of connections, ours and redis-server's, compared as above. */
export class GroupDiff {
  constructor(readonly p: DiffPair) {}

  async same(...argv: string[]): Promise<RawReply> {
    const { ours, ref } = await this.p.both(...argv);
    expectSameTimed(ours.raw, ref.raw, `reply to ${JSON.stringify(argv)}`);
    return ours;
  }

  /** Exactly equal bytes, clock fields included. */
  async exact(...argv: string[]): Promise<RawReply> {
    const { ours, ref } = await this.p.both(...argv);
    expect(show(ours.raw), `reply to ${JSON.stringify(argv)}`).toBe(show(ref.raw));
    return ours;
  }

  /** Many commands pipelined to each server; every reply compared. */
  async pipeline(commands: string[][]): Promise<void> {
    const bytes = Buffer.concat(commands.map((argv) => encodeCommand(argv)));
    this.p.ours.write(bytes);
    this.p.ref.write(bytes);
    const [ours, ref] = await Promise.all([this.p.ours.readMany(commands.length), this.p.ref.readMany(commands.length)]);
    commands.forEach((argv, i) => expectSameTimed(ours[i].raw, ref[i].raw, `reply to ${JSON.stringify(argv)}`));
  }
}
