/**
 * ReplicationLog (broker/replication/log.ts): offsets as redis-server counts them, the
 * backlog ring across wraps and resizes, which PSYNC requests may continue, ids after a
 * promotion and after adopting a leader's history, and the encoding of a unit.
 */
import { describe, expect, it } from 'vitest';
import { BACKLOG_MIN_SIZE, NO_REPLID, ReplicationLog } from '../../broker/replication/log.js';

/** `n` bytes counting up from `from` (mod 251), so any slice shows where it came from. */
function bytes(from: number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 251));
}

describe('ReplicationLog', () => {
  it('counts nothing and keeps nothing before a backlog exists', () => {
    const log = new ReplicationLog(1024 * 1024);
    log.append(bytes(0, 100));
    expect([log.offset, log.active, log.firstByteOffset, log.histlen]).toEqual([0, false, 0, 0]);
    expect(log.replid).toMatch(/^[0-9a-f]{40}$/);
    expect([log.replid2, log.secondReplOffset]).toEqual([NO_REPLID, -1]);
    expect(log.continueFrom(log.replid, 1)).toBe(false);
  });

  it('continues from the first byte kept up to one past the last', () => {
    const log = new ReplicationLog(1024 * 1024);
    log.createBacklog();
    expect([log.offset, log.firstByteOffset, log.histlen]).toEqual([0, 1, 0]);
    log.append(bytes(0, 10));
    expect([log.offset, log.firstByteOffset, log.histlen]).toEqual([10, 1, 10]);
    for (const [offset, ok] of [[0, false], [1, true], [5, true], [11, true], [12, false]] as const) {
      expect(log.continueFrom(log.replid, offset), String(offset)).toBe(ok);
    }
    expect(log.continueFrom(log.replid.toUpperCase(), 1)).toBe(true);
    expect(log.continueFrom('f'.repeat(40), 1)).toBe(false);
    expect(Buffer.concat(log.tail(6))).toEqual(bytes(5, 5));
    expect(log.tail(11)).toEqual([]);
  });

  it('keeps the last repl-backlog-size bytes across wraps, and what fits when resized', () => {
    const log = new ReplicationLog(1);
    expect(log.backlogSize).toBe(BACKLOG_MIN_SIZE);
    log.createBacklog();
    let written = 0;
    for (const n of [10_000, 5_000, 7_000, 40_000, 3]) {
      log.append(bytes(written, n));
      written += n;
    }
    expect([log.offset, log.histlen, log.firstByteOffset]).toEqual([written, BACKLOG_MIN_SIZE, written - BACKLOG_MIN_SIZE + 1]);
    expect(Buffer.concat(log.tail(log.firstByteOffset))).toEqual(bytes(written - BACKLOG_MIN_SIZE, BACKLOG_MIN_SIZE));
    expect(log.continueFrom(log.replid, log.firstByteOffset - 1)).toBe(false);
    log.resize(100_000);
    expect(log.histlen).toBe(BACKLOG_MIN_SIZE);
    log.append(bytes(written, 50_000));
    written += 50_000;
    expect(log.histlen).toBe(BACKLOG_MIN_SIZE + 50_000);
    log.resize(20_000);
    expect([log.histlen, log.firstByteOffset]).toEqual([20_000, written - 20_000 + 1]);
    expect(Buffer.concat(log.tail(log.firstByteOffset))).toEqual(bytes(written - 20_000, 20_000));
  });

  it('shifts ids on promotion: the old history continues up to where it ends', () => {
    const log = new ReplicationLog(1024 * 1024);
    log.createBacklog();
    log.append(bytes(0, 100));
    const old = log.replid;
    log.shiftIds();
    expect([log.replid2, log.secondReplOffset]).toEqual([old, 101]);
    expect(log.replid).not.toBe(old);
    log.append(bytes(100, 50));
    expect(log.continueFrom(old, 101)).toBe(true);
    expect(log.continueFrom(old, 102)).toBe(false);
    expect(log.continueFrom(log.replid, 102)).toBe(true);
  });

  it("adopts a leader's history: its id and offset, an empty backlog from there", () => {
    const log = new ReplicationLog(1024 * 1024);
    log.adopt('a'.repeat(40), 5000);
    expect([log.replid, log.offset, log.histlen, log.firstByteOffset, log.active]).toEqual(['a'.repeat(40), 5000, 0, 5001, true]);
    expect(log.continueFrom('a'.repeat(40), 5001)).toBe(true);
    expect(log.continueFrom('a'.repeat(40), 5000)).toBe(false);
  });

  it('encodes a unit once, with a SELECT where the db changes, for the backlog and the turn', () => {
    const log = new ReplicationLog(1024 * 1024);
    log.createBacklog();
    log.keepTurn = true;
    let turns = 0;
    log.onTurnStart = () => turns++;
    log.appendUnit([{ db: 0, argv: ['SET', 'k', 'v'] }]);
    log.appendUnit([
      { db: 1, argv: ['INCR', 'n'] },
      { db: 1, argv: ['DEL', 'k'] },
    ]);
    const expected =
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n' +
      '*1\r\n$5\r\nMULTI\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n';
    expect(turns).toBe(1);
    expect(Buffer.concat(log.takeTurn()!).latin1Slice()).toBe(expected);
    expect(log.takeTurn()).toBeNull();
    expect(log.offset).toBe(expected.length);
    expect(Buffer.concat(log.tail(1)).latin1Slice()).toBe(expected);
  });

  it('hands out views that later writes never change, across blocks and long commands', () => {
    const log = new ReplicationLog(1024 * 1024);
    log.createBacklog();
    log.keepTurn = true;
    const turns: Buffer[][] = [];
    const copies: Buffer[] = [];
    // Small units, then one longer than a block, then small ones again: several blocks.
    const values = [...Array.from({ length: 3000 }, (_, i) => `v${i}`), 'x'.repeat(100_000), ...Array.from({ length: 3000 }, (_, i) => `w${i}`)];
    for (let i = 0; i < values.length; i++) {
      // A turn taken every 500 units, the last one included.
      log.appendUnit([{ db: 0, argv: ['SET', `k${i}`, values[i]] }]);
      if (i % 500 === 0) {
        const turn = log.takeTurn()!;
        turns.push(turn);
        copies.push(Buffer.concat(turn));
      }
    }
    expect(log.takeTurn()).toBeNull();
    const stream = Buffer.concat(turns.flat());
    expect(turns.every((t, i) => Buffer.concat(t).equals(copies[i]))).toBe(true);
    expect(stream.length).toBe(log.offset);
    expect(Buffer.concat(log.tail(1)).equals(stream)).toBe(true);
    expect(stream.latin1Slice(0, 52)).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$2\r\nk0\r\n$2\r\nv0\r\n');
  });
});
