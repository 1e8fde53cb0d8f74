/**
 * Consumer groups against redis-server 7.0, hand-written edge cases: every XGROUP
 * subcommand and error, XREADGROUP (`>`, history, NOACK, several streams, deleted
 * entries), XACK, XPENDING (summary, extended, IDLE, consumer), XCLAIM and
 * XAUTOCLAIM with every option and with deleted entries, XINFO GROUPS / CONSUMERS /
 * STREAM FULL with entries-read and lag after XDEL, XTRIM and XSETID, and groups in
 * COPY, RENAME and DEL. Replies are compared byte for byte except the fields read
 * from the clock (idle and delivery times), compared within a tolerance; entries
 * aged an hour on purpose check the delivery times of claims and reads exactly.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';
import { GroupDiff } from './stream-group-harness.js';

const MAX = '18446744073709551615';
const DEBUG = ['--enable-debug-command', 'yes'];

/** Splits `XADD s 1-1 f v` style lines into argv. */
function commands(lines: string): string[][] {
  return lines
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/).map((a) => (a === '""' ? '' : a)));
}

describe.skipIf(!hasRedisServer())('consumer groups vs redis-server', () => {
  const { p } = diffSuite({ ours: DEBUG, ref: DEBUG, flushEach: true });
  const d = new GroupDiff(p);

  const run = (lines: string): Promise<void> => d.pipeline(commands(lines));

  it('XGROUP CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP and their errors', async () => {
    await run(`
      XGROUP HELP
      XGROUP help
      XGROUP HELP extra
      XGROUP NOPE s g
      XGROUP CREATE s g $
      XGROUP CREATE s g 0 MKSTREAM
      XGROUP CREATE s g 0 MKSTREAM
      XGROUP CREATE s g2 $ mkstream ENTRIESREAD 3
      XGROUP CREATE s g3 0 ENTRIESREAD -1
      XGROUP CREATE s g4 0 ENTRIESREAD -2
      XGROUP CREATE s g4 0 ENTRIESREAD x
      XGROUP CREATE s g4 0 ENTRIESREAD
      XGROUP CREATE s g4 0 ENTRIESREAD 9223372036854775807
      XGROUP CREATE s g5 0 BOGUS
      XGROUP CREATE s g5 bad-id
      XGROUP CREATE s g5 -
      XGROUP CREATE s g5 +
      XGROUP CREATE s g5 1
      XGROUP CREATE s g6 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
      XGROUP CREATE nokey g 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
      EXISTS nokey
      XINFO GROUPS s
      XGROUP SETID s nog 0
      XGROUP SETID nokey g 0
      XGROUP SETID s g 5 MKSTREAM
      XGROUP SETID s g 5 ENTRIESREAD 3 ENTRIESREAD 4
      XGROUP SETID s g 5 ENTRIESREAD x
      XGROUP SETID s g bad
      XGROUP SETID s g +
      XINFO GROUPS s
      XGROUP SETID s g -
      XGROUP SETID s g $ ENTRIESREAD 0
      XGROUP SETID s g 7 ENTRIESREAD 10
      XINFO GROUPS s
      XGROUP DESTROY s nog
      XGROUP DESTROY nokey g
      XGROUP DESTROY s g3
      XGROUP DESTROY s g3
      XGROUP CREATECONSUMER s g c1
      XGROUP CREATECONSUMER s g c1
      XGROUP CREATECONSUMER s nog c1
      XGROUP CREATECONSUMER nokey g c1
      XGROUP DELCONSUMER s g c1
      XGROUP DELCONSUMER s g c1
      XGROUP DELCONSUMER s nog c1
      XGROUP CREATE s
      XGROUP DESTROY s g extra
      XINFO GROUPS s
      SET str x
      XGROUP CREATE str g 0
      XGROUP CREATE str g 0 MKSTREAM
      XGROUP DESTROY str g
      XGROUP SETID str g 0
    `);
    // Names with NUL bytes are cut in error messages, as by %s.
    await d.same('XGROUP', 'SETID', 's', 'g\x00tail', '0');
    await d.same('XGROUP', 'CREATE', 's', 'g\x00tail', '$\x00junk');
    await d.same('XINFO', 'GROUPS', 's');
  });

  it('XREADGROUP: new entries, history, NOACK, several streams and errors', async () => {
    await run(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XADD s 3-1 c 3
      XADD t 1-1 x y
      XGROUP CREATE s g 0
      XGROUP CREATE t g $
      XREADGROUP GROUP g c1 COUNT 1 STREAMS s >
      XREADGROUP GROUP g c1 STREAMS s >
      XREADGROUP GROUP g c1 STREAMS s >
      XREADGROUP GROUP g c1 STREAMS s t > >
      XREADGROUP GROUP g c1 STREAMS s 0
      XREADGROUP GROUP g c1 COUNT 2 STREAMS s 0
      XREADGROUP GROUP g c1 STREAMS s 1-1
      XREADGROUP GROUP g c1 STREAMS s (1-1
      XREADGROUP GROUP g c2 STREAMS s 0
      XINFO CONSUMERS s g
      XDEL s 2-1
      XREADGROUP GROUP g c1 STREAMS s 0
      XREADGROUP GROUP g c1 STREAMS s t 0 0
      XADD t 2-1 x z
      XREADGROUP GROUP g c3 NOACK STREAMS s t > >
      XPENDING s g
      XPENDING t g
      XINFO GROUPS t
      XREADGROUP GROUP g c1 STREAMS s ${MAX}-${MAX}
      XREADGROUP GROUP g c1 STREAMS s $
      XREADGROUP GROUP nog c1 STREAMS s >
      XREADGROUP GROUP g c1 STREAMS nokey >
      XREADGROUP GROUP g c1 STREAMS s
      XREADGROUP GROUP g c1 STREAMS s t >
      XREADGROUP STREAMS s >
      XREADGROUP GROUP g STREAMS s >
      XREADGROUP GROUP g c1 COUNT x STREAMS s >
      XREADGROUP GROUP g c1 BLOCK x STREAMS s >
      XREADGROUP GROUP g c1 BLOCK -1 STREAMS s >
      XREADGROUP GROUP g c1 STREAMS s bad-id
      XREADGROUP GROUP g c1 BOGUS STREAMS s >
      XREAD NOACK STREAMS s 0
      XREAD GROUP g c STREAMS s 0
      XREAD STREAMS s >
      SET str x
      XREADGROUP GROUP g c1 STREAMS str >
      XREADGROUP GROUP g c1 COUNT -5 STREAMS s 0
      XINFO STREAM s FULL
    `);
  });

  it('XREADGROUP after XGROUP SETID moves entries pending elsewhere to the reader', async () => {
    await run(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XADD s 3-1 c 3
      XGROUP CREATE s g 0
      XREADGROUP GROUP g alice STREAMS s >
      XGROUP SETID s g 1-1
      XREADGROUP GROUP g bob COUNT 1 STREAMS s >
      XPENDING s g - + 10
      XPENDING s g - + 10 alice
      XPENDING s g - + 10 bob
      XGROUP SETID s g 0
      XREADGROUP GROUP g bob STREAMS s >
      XINFO STREAM s FULL
      XGROUP DELCONSUMER s g bob
      XPENDING s g
      XINFO STREAM s FULL
    `);
  });

  it('XACK', async () => {
    await run(`
      XACK s g 1-1
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XACK s g 1-1
      XGROUP CREATE s g 0
      XREADGROUP GROUP g c STREAMS s >
      XACK s g 1-1 bad
      XACK s g -
      XACK s g 1-1 1-1 9-9 2
      XACK s g 1-1 2-1
      XPENDING s g
      SET str x
      XACK str g 1-1
    `);
  });

  it('XPENDING summary and extended forms, IDLE and consumer filter', async () => {
    await run(`
      XPENDING s g
      XADD s 1-1 a 1
      XGROUP CREATE s g 0
      XPENDING s g
      XPENDING s g - + 10
      XADD s 2-1 b 2
      XADD s 3-1 c 3
      XADD s 4-1 d 4
      XREADGROUP GROUP g c1 COUNT 2 STREAMS s >
      XREADGROUP GROUP g c2 STREAMS s >
      XGROUP CREATECONSUMER s g c0
      XPENDING s g
      XPENDING s g - + 10
      XPENDING s g - + 2
      XPENDING s g - + 0
      XPENDING s g - + -3
      XPENDING s g (1-1 (4-1 10
      XPENDING s g 2 3 10
      XPENDING s g - + 10 c1
      XPENDING s g - + 10 c2
      XPENDING s g - + 10 c0
      XPENDING s g - + 10 nobody
      XPENDING s g - + 10 c1 extra
      XPENDING s g IDLE 0 - + 10
      XPENDING s g IDLE 100000 - + 10
      XPENDING s g IDLE -5 - + 10 c2
      XPENDING s g IDLE x - + 10
      XPENDING s g IDLE 10 - +
      XPENDING s g - + x
      XPENDING s g x + 10
      XPENDING s g - x 10
      XPENDING s g (${MAX}-${MAX} + 10
      XPENDING s g - (0-0 10
      XPENDING s g - +
      XPENDING s g - + 1 c1 x y
      XPENDING s nog
      XPENDING nokey g - + 10
      SET str x
      XPENDING str g
    `);
  });

  it('XCLAIM: ownership moves, IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID, errors', async () => {
    await run(`
      XCLAIM s g c 0 1-1
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XADD s 3-1 c 3
      XADD s 4-1 d 4
      XGROUP CREATE s g 0
      XCLAIM s g c 0 1-1
      XCLAIM s nog c 0 1-1
      XREADGROUP GROUP g alice COUNT 3 STREAMS s >
      XCLAIM s g bob 0 1-1
      XCLAIM s g bob 0 1-1 JUSTID
      XCLAIM s g bob 3600000 2-1
      XCLAIM s g bob 0 2-1 IDLE 5000 RETRYCOUNT 9
      XPENDING s g - + 10
      XCLAIM s g carol 4000 2-1 JUSTID
      XCLAIM s g carol 0 3-1 TIME 1000
      XPENDING s g - + 10
      XCLAIM s g carol 0 3-1 TIME 99999999999999 JUSTID
      XCLAIM s g carol 0 3-1 IDLE -10 JUSTID
      XCLAIM s g carol 0 3-1 IDLE 9223372036854775807 JUSTID
      XCLAIM s g carol 0 3-1 IDLE -9223372036854775808 JUSTID
      XCLAIM s g carol 0 3-1 TIME -1 JUSTID
      XCLAIM s g dave 0 4-1
      XCLAIM s g dave 0 4-1 FORCE
      XCLAIM s g erin 0 4-1 FORCE JUSTID
      XCLAIM s g erin 0 4-1 FORCE RETRYCOUNT 0
      XCLAIM s g erin 0 9-9 FORCE
      XCLAIM s g erin 0 1-1 2-1 1-1 JUSTID
      XCLAIM s g erin 0 1 2 JUSTID
      XCLAIM s g erin 0 1-1 LASTID 10-10 JUSTID
      XINFO GROUPS s
      XCLAIM s g erin 0 LASTID 11-0
      XINFO GROUPS s
      XCLAIM s g erin 0 LASTID 5-0
      XCLAIM s g erin 0 1-1 RETRYCOUNT -4 JUSTID
      XCLAIM s g erin 0 1-1 RETRYCOUNT 9223372036854775807
      XCLAIM s g erin 0 1-1
      XPENDING s g - + 10
      XCLAIM s g erin x 1-1
      XCLAIM s g erin -100 1-1 JUSTID
      XCLAIM s g erin 0 1-1 IDLE x
      XCLAIM s g erin 0 1-1 TIME x
      XCLAIM s g erin 0 1-1 RETRYCOUNT x
      XCLAIM s g erin 0 1-1 LASTID x
      XCLAIM s g erin 0 1-1 IDLE
      XCLAIM s g erin 0 1-1 BOGUS
      XCLAIM s g erin 0 1-1 FORCE 2-1
      XCLAIM s g erin 0 FORCE
      XCLAIM s g erin 0 bad
      XINFO CONSUMERS s g
      SET str x
      XCLAIM str g c 0 1-1
    `);
    await d.same('XCLAIM', 's', 'g', 'erin', '0', '1-1', 'BO\x00GUS');
  });

  it('XCLAIM and XAUTOCLAIM drop pending entries whose stream entry was deleted or trimmed', async () => {
    await run(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XADD s 3-1 c 3
      XADD s 4-1 d 4
      XADD s 5-1 e 5
      XGROUP CREATE s g 0
      XREADGROUP GROUP g alice STREAMS s >
      XDEL s 2-1 4-1
      XCLAIM s g bob 0 2-1 3-1
      XPENDING s g - + 10
      XAUTOCLAIM s g bob 0 0
      XPENDING s g - + 10
      XTRIM s MAXLEN 1
      XAUTOCLAIM s g carol 0 0 JUSTID
      XPENDING s g
      XINFO STREAM s FULL
    `);
  });

  it('XAUTOCLAIM: cursor, COUNT, JUSTID, min idle time and errors', async () => {
    const adds = Array.from({ length: 12 }, (_, i) => `XADD s ${i + 1}-1 f ${i}`).join('\n');
    await run(`
      XAUTOCLAIM s g c 0 0
      ${adds}
      XGROUP CREATE s g 0
      XAUTOCLAIM s g c 0 0
      XREADGROUP GROUP g alice STREAMS s >
      XAUTOCLAIM s g bob 0 0 COUNT 3
      XAUTOCLAIM s g bob 0 4-1 COUNT 3 JUSTID
      XAUTOCLAIM s g bob 0 (6-1 COUNT 100
      XAUTOCLAIM s g carol 3600000 0
      XAUTOCLAIM s g carol 0 0 JUSTID COUNT 1
      XAUTOCLAIM s g carol 0 - COUNT 2
      XAUTOCLAIM s g carol 0 12-1
      XAUTOCLAIM s g carol 0 (12-1
      XAUTOCLAIM s g carol -100 0 COUNT 1
      XDEL s 1-1 2-1 3-1 4-1 5-1
      XAUTOCLAIM s g dave 0 0 COUNT 3
      XAUTOCLAIM s g dave 0 0 COUNT 3 JUSTID
      XPENDING s g
      XAUTOCLAIM s g c 0 0 COUNT 0
      XAUTOCLAIM s g c 0 0 COUNT -1
      XAUTOCLAIM s g c 0 0 COUNT x
      XAUTOCLAIM s g c 0 0 COUNT 576460752303423487
      XAUTOCLAIM s g c 0 0 COUNT 576460752303423488
      XAUTOCLAIM s g c 0 0 COUNT 4398046511104
      XAUTOCLAIM s g c 0 0 COUNT 4398046511105
      XAUTOCLAIM s g c 0 0 COUNT
      XAUTOCLAIM s g c 0 0 BOGUS
      XAUTOCLAIM s g c x 0
      XAUTOCLAIM s g c 0 x
      XAUTOCLAIM s g c 0 (${MAX}-${MAX}
      XAUTOCLAIM s g c 0 +
      XAUTOCLAIM s nog c 0 0
      XAUTOCLAIM nokey g c 0 0
      XAUTOCLAIM nokey g c x 0
      SET str x
      XAUTOCLAIM str g c 0 0
      XINFO STREAM s FULL
    `);
  });

  it('aged entries: XCLAIM TIME sets delivery times exactly; XCLAIM, XAUTOCLAIM and history reads restart them', async () => {
    // Entries an hour old, made so on purpose: the ±2 s tolerance of the other tests
    // cannot tell a restarted delivery time from a kept one, an hour apart can.
    const hour = 3_600_000;
    const startedAt = Date.now();
    const aged = startedAt - hour;
    await run(`
      XADD s 1-1 f 1
      XADD s 2-1 f 2
      XADD s 3-1 f 3
      XADD s 4-1 f 4
      XADD s 5-1 f 5
      XADD s 6-1 f 6
      XADD s 7-1 f 7
      XGROUP CREATE s g 0
      XREADGROUP GROUP g alice STREAMS s >
      XCLAIM s g alice 0 1-1 2-1 3-1 4-1 5-1 6-1 7-1 TIME ${aged} JUSTID
    `);
    await expectDeliveries(startedAt, aged, {
      '1-1': ['alice', 1, 'aged'], '2-1': ['alice', 1, 'aged'], '3-1': ['alice', 1, 'aged'], '4-1': ['alice', 1, 'aged'],
      '5-1': ['alice', 1, 'aged'], '6-1': ['alice', 1, 'aged'], '7-1': ['alice', 1, 'aged'],
    });
    await run(`
      XCLAIM s g bob 0 1-1
      XAUTOCLAIM s g carol 1800000 0-0 COUNT 2
      XAUTOCLAIM s g dave 1800000 0-0 COUNT 1 JUSTID
      XCLAIM s g erin 0 5-1 IDLE ${2 * hour}
      XCLAIM s g frank 1800000 6-1 RETRYCOUNT 9
      XAUTOCLAIM s g gina 10800000 0-0
      XPENDING s g IDLE 1800000 - + 10
    `);
    await expectDeliveries(startedAt, aged, {
      '1-1': ['bob', 2, 'restarted'], '2-1': ['carol', 2, 'restarted'], '3-1': ['carol', 2, 'restarted'], '4-1': ['dave', 1, 'restarted'],
      '5-1': ['erin', 2, 'two hours'], '6-1': ['frank', 9, 'restarted'], '7-1': ['alice', 1, 'aged'],
    });
    await run(`
      XREADGROUP GROUP g alice STREAMS s 0
      XAUTOCLAIM s g gina 5400000 0-0
    `);
    await expectDeliveries(startedAt, aged, {
      '1-1': ['bob', 2, 'restarted'], '2-1': ['carol', 2, 'restarted'], '3-1': ['carol', 2, 'restarted'], '4-1': ['dave', 1, 'restarted'],
      '5-1': ['gina', 3, 'restarted'], '6-1': ['frank', 9, 'restarted'], '7-1': ['alice', 2, 'restarted'],
    });
  });

  /**
   * Expects, on each server, the group's pending entries (XINFO STREAM FULL) to have
   * the owners and delivery counts given, and delivery times as given: 'aged' exactly
   * the `aged` time set with XCLAIM TIME, 'two hours' (XCLAIM IDLE 2 h) two hours
   * before the check within its duration, 'restarted' no earlier than the check began.
   */
  async function expectDeliveries(startedAt: number, aged: number, expected: Record<string, [string, number, 'aged' | 'two hours' | 'restarted']>): Promise<void> {
    for (const [name, client] of [['ours', d.p.ours], ['redis-server', d.p.ref]] as const) {
      const now = Date.now();
      const full = (await client.call('XINFO', 'STREAM', 's', 'FULL')).value as unknown[];
      const group = (full[full.indexOf('groups') + 1] as unknown[][])[0];
      const pending = group[group.indexOf('pending') + 1] as [string, string, number, number][];
      const seen = Object.fromEntries(
        pending.map(([id, owner, time, count]) => {
          const when = time === aged ? 'aged' : time >= startedAt && time <= now ? 'restarted' : time >= startedAt - 7_200_000 && time <= now - 7_200_000 ? 'two hours' : time;
          return [id, [owner, count, when]];
        }),
      );
      expect(seen, `${name}: owners, delivery counts and times of the pending entries`).toEqual(expected);
    }
  }

  it('XINFO GROUPS, CONSUMERS and STREAM FULL with COUNT', async () => {
    const adds = Array.from({ length: 15 }, (_, i) => `XADD s ${i + 1}-1 f ${i}`).join('\n');
    await run(`
      ${adds}
      XGROUP CREATE s b-group 0
      XGROUP CREATE s a-group 5-1
      XGROUP CREATE s aa 0
      XGROUP CREATE s A 0
      XREADGROUP GROUP a-group zed STREAMS s >
      XREADGROUP GROUP b-group c2 COUNT 3 STREAMS s >
      XREADGROUP GROUP b-group c10 COUNT 3 STREAMS s >
      XREADGROUP GROUP b-group c1 STREAMS s >
      XGROUP CREATECONSUMER s b-group idle-one
      XINFO GROUPS s
      XINFO CONSUMERS s b-group
      XINFO CONSUMERS s a-group
      XINFO CONSUMERS s aa
      XINFO CONSUMERS s nog
      XINFO CONSUMERS nokey g
      XINFO STREAM s
      XINFO STREAM s FULL
      XINFO STREAM s FULL COUNT 2
      XINFO STREAM s FULL COUNT 0
      XINFO STREAM s FULL COUNT -1
      XINFO GROUPS nokey
      XINFO GROUPS s extra
      SET str x
      XINFO GROUPS str
      XINFO CONSUMERS str g
    `);
  });

  it('entries-read and lag: empty streams, sanity, XDEL, XTRIM, XSETID, ENTRIESREAD', async () => {
    const info = 'XINFO STREAM x FULL\nXINFO GROUPS x';
    await run(`
      XGROUP CREATE x g1 0 MKSTREAM
      ${info}
      XADD x 1-0 data a
      XDEL x 1-0
      ${info}
      DEL x
      XADD x 1-0 data a
      XADD x 2-0 data b
      XADD x 3-0 data c
      XADD x 4-0 data d
      XADD x 5-0 data e
      XGROUP CREATE x g1 0
      ${info}
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      ${info}
      XREADGROUP GROUP g1 c12 COUNT 10 STREAMS x >
      ${info}
      XADD x 6-0 data f
      ${info}
      DEL x
      XADD x 1-0 data a
      XADD x 2-0 data b
      XADD x 3-0 data c
      XADD x 4-0 data d
      XADD x 5-0 data e
      XDEL x 3-0
      XGROUP CREATE x g1 0
      XGROUP CREATE x g2 0
      ${info}
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      ${info}
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      ${info}
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      ${info}
      XREADGROUP GROUP g1 c11 COUNT 1 STREAMS x >
      ${info}
      XADD x 6-0 data f
      ${info}
      XTRIM x MINID = 3-0
      ${info}
      XTRIM x MINID = 5-0
      ${info}
      XGROUP CREATE x g3 $
      XGROUP CREATE x g4 2-0 ENTRIESREAD 2
      XGROUP CREATE x g5 9-0
      XGROUP CREATE x g6 5-0
      ${info}
      XDEL x 6-0
      ${info}
      XSETID x 10-0
      ${info}
      XSETID x 10-0 ENTRIESADDED 100 MAXDELETEDID 9-0
      ${info}
      XADD x 11-0 data g
      XREADGROUP GROUP g2 c STREAMS x >
      ${info}
      XTRIM x MAXLEN 0
      ${info}
      XADD x 12-0 data h
      XGROUP SETID x g1 0 ENTRIESREAD 0
      XGROUP SETID x g2 12-0
      ${info}
    `);
  });

  it('lag estimates at the first entry, before it, and with ENTRIESADDED beyond 2^53', async () => {
    const info = 'XINFO GROUPS x';
    await run(`
      XADD x 5-0 f v
      XADD x 6-0 f v
      XADD x 7-0 f v
      XTRIM x MAXLEN 2
      XGROUP CREATE x at-first 6-0
      XGROUP CREATE x before 1-0
      XGROUP CREATE x between 6-5
      XGROUP CREATE x zero 0-0
      ${info}
      XREADGROUP GROUP before c STREAMS x >
      XREADGROUP GROUP zero c COUNT 1 STREAMS x >
      ${info}
      XSETID x 7-0 ENTRIESADDED 9007199254740993
      ${info}
      XSETID x 7-0 ENTRIESADDED 9223372036854775807
      XADD x 8-0 f v
      XREADGROUP GROUP at-first c STREAMS x >
      ${info}
      XINFO STREAM x
    `);
  });

  it('IDs beyond 2^53 and at 2^64-1 in PELs, cursors and group IDs', async () => {
    const big = '9007199254740993';
    await run(`
      XADD s ${big}-1 a 1
      XADD s ${big}-${MAX} a 2
      XADD s 9007199254740994-0 a 3
      XADD s ${MAX}-0 a 4
      XADD s ${MAX}-${MAX} a 5
      XGROUP CREATE s g 0
      XGROUP CREATE s late ${big}-${MAX} ENTRIESREAD 2
      XREADGROUP GROUP g c COUNT 2 STREAMS s >
      XREADGROUP GROUP g d STREAMS s >
      XREADGROUP GROUP late c STREAMS s >
      XPENDING s g
      XPENDING s g (${big}-1 ${MAX} 10
      XPENDING s g - (${MAX}-${MAX} 10 d
      XAUTOCLAIM s g e 0 ${big} COUNT 2 JUSTID
      XAUTOCLAIM s g e 0 ${MAX}-0 COUNT 1 JUSTID
      XAUTOCLAIM s g e 0 ${MAX}-${MAX} JUSTID
      XCLAIM s g f 0 ${MAX}-${MAX} ${big}-1 JUSTID LASTID ${MAX}-${MAX}
      XACK s g ${big}-${MAX} ${MAX}-0
      XREADGROUP GROUP g f STREAMS s ${big}
      XINFO STREAM s FULL
      XINFO GROUPS s
    `);
  });

  it('XREADGROUP in RESP3, and XPENDING / XINFO replies in RESP3', async () => {
    // HELLO's reply holds the connection ID, which differs.
    await d.p.both('HELLO', '3');
    await run(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      XGROUP CREATE s g 0
      XREADGROUP GROUP g c STREAMS s >
      XREADGROUP GROUP g c STREAMS s >
      XDEL s 1-1
      XREADGROUP GROUP g c STREAMS s 0
      XPENDING s g
      XPENDING s g - + 10
      XINFO GROUPS s
      XINFO CONSUMERS s g
      XINFO STREAM s FULL
      XAUTOCLAIM s g d 0 0
      XGROUP CREATE t g 0 MKSTREAM
      XPENDING t g
      XINFO GROUPS t
    `);
    await d.p.both('HELLO', '2');
  });

  it('groups in COPY, RENAME, DEL, TYPE and DEBUG DIGEST (which ignores them)', async () => {
    await run(`
      XADD s 1-1 a 1
      XADD s 2-1 b 2
      DEBUG DIGEST
      DEBUG DIGEST-VALUE s
      XGROUP CREATE s g 0
      XREADGROUP GROUP g c COUNT 1 STREAMS s >
      DEBUG DIGEST
      DEBUG DIGEST-VALUE s
      COPY s s2
      XINFO STREAM s2 FULL
      XREADGROUP GROUP g c2 STREAMS s2 >
      XACK s2 g 1-1
      XINFO STREAM s FULL
      XINFO STREAM s2 FULL
      RENAME s2 s3
      XINFO STREAM s3 FULL
      XREADGROUP GROUP g c2 STREAMS s2 >
      TYPE s3
      OBJECT ENCODING s3
      DEL s3
      XINFO GROUPS s3
      XGROUP CREATE s3 g 0
      COPY s s
    `);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
