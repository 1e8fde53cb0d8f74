/**
 * The reply writer: exact RESP2/RESP3 bytes for every reply kind, and doubles
 * formatted as C's %.17g (known vectors from glibc printf, and a real redis-server).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDouble, formatG, PushMessage, Reply, sent, type Protocol, type ReplyProducer, type RespValue } from '../../protocol/reply.js';
import { DiscardingReply } from '../../protocol/discarding-reply.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { suiteClient, suiteRedis } from '../harness/suite.js';

function written(resp: Protocol, write: (r: Reply) => void): string {
  const r = new Reply(resp);
  write(r);
  return text(r.take());
}

/** Taken output as a latin1 string. */
function text(out: readonly Buffer[]): string {
  return Buffer.concat(out).toString('latin1');
}

/** Reply's public methods. */
type ReplyMethod = { [K in keyof Reply]: Reply[K] extends (...args: never[]) => unknown ? K : never }[keyof Reply];
/** The public methods of Reply that move the output rather than write it: a DiscardingReply keeps them. */
const OUTPUT_METHODS = ['take', 'takeUpTo', 'truncate', 'produce', 'dropProducers', 'markPush', 'trackPushes', 'settlePushes'] as const;
/**
 * The others, which write: a DiscardingReply overrides each. Typed as every public method
 * but those above, so a method added to Reply fails the build until it is listed here
 * (and overridden) or there.
 */
const WRITERS: Record<Exclude<ReplyMethod, (typeof OUTPUT_METHODS)[number]>, true> = {
  stream: true,
  simple: true,
  simpleBytes: true,
  ok: true,
  error: true,
  int: true,
  bulk: true,
  bulkRun: true,
  bulkSlice: true,
  streamEntryHead: true,
  prefixedBulks: true,
  bulkBytes: true,
  bulkOrNil: true,
  nil: true,
  nilArray: true,
  array: true,
  map: true,
  set: true,
  push: true,
  message: true,
  shared: true,
  bool: true,
  double: true,
  doubleText: true,
  bigNumber: true,
  verbatim: true,
  bulks: true,
  value: true,
  beginDeferred: true,
  endDeferred: true,
};

describe('Reply', () => {
  const both: [string, (r: Reply) => void, string, string][] = [
    ['simple', (r) => r.simple('OK'), '+OK\r\n', '+OK\r\n'],
    ['ok', (r) => r.ok(), '+OK\r\n', '+OK\r\n'],
    ['error', (r) => r.error('ERR boom'), '-ERR boom\r\n', '-ERR boom\r\n'],
    ['int', (r) => r.int(-42), ':-42\r\n', ':-42\r\n'],
    ['int 2^53 - 1', (r) => r.int(-(2 ** 53 - 1)), ':-9007199254740991\r\n', ':-9007199254740991\r\n'],
    ['int bigint', (r) => r.int(18446744073709551615n), ':18446744073709551615\r\n', ':18446744073709551615\r\n'],
    ['bulk', (r) => r.bulk('a\r\nb\0\xff'), '$6\r\na\r\nb\0\xff\r\n', '$6\r\na\r\nb\0\xff\r\n'],
    ['empty bulk', (r) => r.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    ['bulkOrNil string', (r) => r.bulkOrNil('x'), '$1\r\nx\r\n', '$1\r\nx\r\n'],
    ['bulkOrNil null', (r) => r.bulkOrNil(null), '$-1\r\n', '_\r\n'],
    ['bulkOrNil undefined', (r) => r.bulkOrNil(undefined), '$-1\r\n', '_\r\n'],
    ['nil', (r) => r.nil(), '$-1\r\n', '_\r\n'],
    ['nilArray', (r) => r.nilArray(), '*-1\r\n', '_\r\n'],
    ['array', (r) => r.array(3), '*3\r\n', '*3\r\n'],
    ['map', (r) => r.map(2), '*4\r\n', '%2\r\n'],
    ['set', (r) => r.set(2), '*2\r\n', '~2\r\n'],
    ['push', (r) => r.push(3), '*3\r\n', '>3\r\n'],
    ['bool true', (r) => r.bool(true), ':1\r\n', '#t\r\n'],
    ['bool false', (r) => r.bool(false), ':0\r\n', '#f\r\n'],
    ['double', (r) => r.double(3.14), '$18\r\n3.1400000000000001\r\n', ',3.1400000000000001\r\n'],
    ['double inf', (r) => r.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['verbatim', (r) => r.verbatim('hello'), '$5\r\nhello\r\n', '=9\r\ntxt:hello\r\n'],
    ['verbatim mkd', (r) => r.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
    ['bulks', (r) => r.bulks(['a', '']), '*2\r\n$1\r\na\r\n$0\r\n\r\n', '*2\r\n$1\r\na\r\n$0\r\n\r\n'],
    ['bulkSlice short', (r) => r.bulkSlice('xabcx', 1, 4), '$3\r\nabc\r\n', '$3\r\nabc\r\n'],
    ['bulkSlice long', (r) => r.bulkSlice('x' + 'y'.repeat(30) + 'x', 1, 31), `$30\r\n${'y'.repeat(30)}\r\n`, `$30\r\n${'y'.repeat(30)}\r\n`],
    ['streamEntryHead', (r) => r.streamEntryHead(403, 2628179712, 12, 2), '*2\r\n$16\r\n1733500000000-12\r\n*2\r\n', '*2\r\n$16\r\n1733500000000-12\r\n*2\r\n'],
    ['streamEntryHead 2^64 - 1', (r) => r.streamEntryHead(0xffffffff, 0xffffffff, 4294967295, 10), '*2\r\n$31\r\n18446744073709551615-4294967295\r\n*10\r\n', '*2\r\n$31\r\n18446744073709551615-4294967295\r\n*10\r\n'],
    ['streamEntryHead ms then another', (r) => (r.streamEntryHead(0, 5, 0, 0), r.streamEntryHead(0, 17, 1, 0)), '*2\r\n$3\r\n5-0\r\n*0\r\n*2\r\n$4\r\n17-1\r\n*0\r\n', '*2\r\n$3\r\n5-0\r\n*0\r\n*2\r\n$4\r\n17-1\r\n*0\r\n'],
    ['prefixedBulks with names', (r) => r.prefixedBulks(['f', 'g'], 'x\x02ab\x00', 1, 4), '$1\r\nf\r\n$2\r\nab\r\n$1\r\ng\r\n$0\r\n\r\n', '$1\r\nf\r\n$2\r\nab\r\n$1\r\ng\r\n$0\r\n\r\n'],
    ['prefixedBulks inline, long', (r) => r.prefixedBulks(null, '\x01k\x9e\x01' + 'v'.repeat(158), 0, 2), `$1\r\nk\r\n$158\r\n${'v'.repeat(158)}\r\n`, `$1\r\nk\r\n$158\r\n${'v'.repeat(158)}\r\n`],
    ['bulkBytes', (r) => r.bulkBytes(Buffer.from([0, 255, 13])), '$3\r\n\0\xff\r\r\n', '$3\r\n\0\xff\r\r\n'],
    ['message', (r) => r.message(new PushMessage(['message', 'ch', 'hi'])), '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n', '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n'],
  ];
  it.each(both)('%s', (_, write, resp2, resp3) => {
    expect(written(2, write)).toBe(resp2);
    expect(written(3, write)).toBe(resp3);
  });

  it('writes nothing into a DiscardingReply (the link from a leader), and still counts and reports errors', () => {
    const seen: string[] = [];
    const r = new DiscardingReply();
    r.streamable = true;
    r.onError = (m) => seen.push(m);
    for (const [, write] of both) write(r);
    r.simpleBytes(Buffer.from('x'));
    r.bulkRun(['a', 'bc'], 0, 2);
    r.int(18446744073709551615n);
    r.shared(Buffer.from('+x\r\n'));
    r.doubleText('1.5');
    r.bigNumber('12345678901234567890');
    r.value([1, 'a', null, { simple: 'OK' }, { map: [['k', 'v']] }, { set: ['m'] }]);
    r.endDeferred(r.beginDeferred(), 'array', 3);
    r.error('ERR two\r\nlines');
    expect(r.canStream).toBe(false);
    const producer = new BulkProducer(['a']);
    r.stream(producer);
    expect(producer.released).toBe(1);
    expect(r.streams).toBe(0);
    expect(r.position).toBe(0);
    expect(r.take()).toEqual([]);
    expect(r.errors).toBe(2);
    expect(seen).toEqual(['ERR boom', 'ERR two  lines']);
  });

  it('has DiscardingReply override every writer of Reply, and nothing that moves output', () => {
    for (const name of Object.keys(WRITERS)) expect(Object.hasOwn(DiscardingReply.prototype, name), name).toBe(true);
    for (const name of OUTPUT_METHODS) expect(Object.hasOwn(DiscardingReply.prototype, name), name).toBe(false);
  });

  it('writes the millisecond parts of consecutive stream IDs right, stepped up, down and across a digit count', () => {
    const r = new Reply();
    const ms = [5, 17, 999, 1000, 1003, 998, 9, 10, 2004, 1005, 1733500000000, 1733500000999, 1733500001001, 1733499999999, 1733500000000, 4294967295, 4294967296, 4294967294];
    for (const m of ms) r.streamEntryHead(Math.floor(m / 4294967296), m % 4294967296, 0, 0);
    const expected = ms.map((m) => `*2\r\n$${String(m).length + 2}\r\n${m}-0\r\n*0\r\n`).join('');
    expect(text(r.take())).toBe(expected);
  });

  it('blanks CR and LF inside error texts, counts errors and reports each one', () => {
    const seen: string[] = [];
    const r = new Reply();
    r.onError = (m) => seen.push(m);
    r.error('ERR line one\r\nline two\n');
    r.error('WRONGTYPE x');
    expect(text(r.take())).toBe('-ERR line one  line two \r\n-WRONGTYPE x\r\n');
    expect(r.errors).toBe(2);
    expect(seen).toEqual(['ERR line one  line two ', 'WRONGTYPE x']);
  });

  it('writes data-driven values', () => {
    const v: RespValue = [
      'bulk',
      7,
      null,
      { simple: 'OK' },
      { map: [['k', ['x', 1]]] },
      { set: ['a', 'b'] },
      [],
    ];
    expect(written(2, (r) => r.value(v))).toBe(
      '*7\r\n$4\r\nbulk\r\n:7\r\n$-1\r\n+OK\r\n*2\r\n$1\r\nk\r\n*2\r\n$1\r\nx\r\n:1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*0\r\n',
    );
    expect(written(3, (r) => r.value(v))).toBe(
      '*7\r\n$4\r\nbulk\r\n:7\r\n_\r\n+OK\r\n%1\r\n$1\r\nk\r\n*2\r\n$1\r\nx\r\n:1\r\n~2\r\n$1\r\na\r\n$1\r\nb\r\n*0\r\n',
    );
  });

  it('inserts deferred headers before their elements, nested and after earlier output', () => {
    for (const resp of [2, 3] as const) {
      const r = new Reply(resp);
      r.ok();
      const outer = r.beginDeferred();
      r.bulk('a');
      const inner = r.beginDeferred();
      r.int(1);
      r.int(2);
      r.endDeferred(inner, 'set', 2);
      r.endDeferred(outer, 'map', 1);
      r.bulk('after');
      const head = resp === 2 ? '*2\r\n' : '%1\r\n';
      const set = resp === 2 ? '*2\r\n' : '~2\r\n';
      expect(text(r.take())).toBe(`+OK\r\n${head}$1\r\na\r\n${set}:1\r\n:2\r\n$5\r\nafter\r\n`);
    }
  });

  it('take() empties the pending output', () => {
    const r = new Reply();
    r.ok();
    expect(text(r.take())).toBe('+OK\r\n');
    expect(r.take()).toEqual([]);
  });

  it('hands out a turn of small replies as one Buffer, and never rewrites bytes handed out', () => {
    const a = new Reply();
    const b = new Reply();
    a.ok();
    a.int(1);
    b.bulk('b');
    a.int(2);
    const first = a.take();
    expect(first.map((x) => x.toString('latin1'))).toEqual(['+OK\r\n:1\r\n:2\r\n']);
    const copy = Buffer.concat(first);
    b.bulk('x'.repeat(100_000));
    a.bulk('y'.repeat(100));
    a.truncate(a.position - 50);
    a.bulk('z'.repeat(100));
    expect(Buffer.concat(first)).toEqual(copy);
    expect(text(b.take())).toBe('$1\r\nb\r\n$100000\r\n' + 'x'.repeat(100_000) + '\r\n');
  });

  it('writes a slab again once the kernel took every byte of it, turn after turn, deferred headers included', () => {
    const writers = [new Reply(), new Reply(), new Reply()];
    // An XRANGE-like reply: a deferred header whose unused room is never sent.
    const expected = [0, 1, 2].map((i) => '*200\r\n' + Array.from({ length: 200 }, (_, j) => `$${`v${i}-${j}`.length}\r\nv${i}-${j}\r\n`).join(''));
    const turn = (): Buffer[] => {
      const out: Buffer[] = [];
      for (const [i, r] of writers.entries()) {
        const mark = r.beginDeferred();
        for (let j = 0; j < 200; j++) r.bulk(`v${i}-${j}`);
        r.endDeferred(mark, 'array', 200);
        const taken = r.take();
        expect(taken).toHaveLength(1);
        // What a socket would write, before the bytes are reported sent and reused.
        expect(text(taken)).toBe(expected[i]);
        out.push(taken[0]);
        sent(taken);
      }
      return out;
    };
    // Turns of 180 replies of ~2 KB fill several slabs: those filled are retired and
    // written again in a later turn (the first also leaves behind what earlier tests
    // left in the slab, never sent).
    const big = (): Buffer[] => {
      const out: Buffer[] = [];
      for (let k = 0; k < 60; k++) out.push(...turn());
      return out;
    };
    const slabs = (out: Buffer[]): Set<ArrayBufferLike> => new Set(out.map((b) => b.buffer));
    const seen = slabs(big());
    for (const b of slabs(big())) expect(seen.has(b)).toBe(true);
    // Turns of three replies: the same bytes of the same slab each time.
    const first = turn();
    const again = turn();
    expect(again[0].buffer).toBe(first[0].buffer);
    expect(again[0].byteOffset).toBe(first[0].byteOffset);
  });

  it('writes a reply larger than any JS string could hold in pieces (length counts bytes)', () => {
    const r = new Reply();
    const value = 'v'.repeat(1 << 20);
    for (let i = 0; i < 600; i++) r.bulk(value);
    expect(r.length).toBe(600 * ((1 << 20) + 12));
    const out = r.take();
    expect(out.reduce((n, b) => n + b.length, 0)).toBe(600 * ((1 << 20) + 12));
    expect(r.length).toBe(0);
  });

  // Taken output reported sent (the kernel took it) lets the slab be written again; output
  // taken but not reported (a partial write) must stay as it was for as long as it is held.
  it('behaves as one growing string would, whatever the interleaving, sizes, marks and slab reuse', () => {
    type Op =
      | { kind: 'bulk'; who: number; size: number }
      | { kind: 'bulkRun'; who: number; sizes: number[] }
      | { kind: 'int'; who: number; n: number }
      | { kind: 'message'; who: number; size: number }
      | { kind: 'begin'; who: number }
      | { kind: 'end'; who: number; n: number }
      | { kind: 'mark'; who: number }
      | { kind: 'truncate'; who: number }
      | { kind: 'take'; who: number; sent: boolean }
      | { kind: 'takeUpTo'; who: number; back: number; sent: boolean };
    const who = fc.integer({ min: 0, max: 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('bulk' as const), who, size: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 3000, max: 70_000 })) }),
      fc.record({
        kind: fc.constant('bulkRun' as const),
        who,
        sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 3000, max: 70_000 })), { maxLength: 30 }),
      }),
      fc.record({ kind: fc.constant('int' as const), who, n: fc.oneof(fc.integer(), fc.maxSafeInteger()) }),
      fc.record({ kind: fc.constant('message' as const), who, size: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('begin' as const), who }),
      fc.record({ kind: fc.constant('end' as const), who, n: fc.integer({ min: 0, max: 1e9 }) }),
      fc.record({ kind: fc.constant('mark' as const), who }),
      fc.record({ kind: fc.constant('truncate' as const), who }),
      fc.record({ kind: fc.constant('take' as const), who, sent: fc.boolean() }),
      fc.record({ kind: fc.constant('takeUpTo' as const), who, back: fc.integer({ min: 0, max: 5000 }), sent: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const held: { out: readonly Buffer[]; text: string }[] = [];
        const handOut = (out: readonly Buffer[], reported: boolean): string => {
          if (reported) sent(out);
          else held.push({ out, text: text(out) });
          return text(out);
        };
        const writers = [0, 1].map(() => ({
          r: new Reply(),
          model: '',
          sent: '',
          deferred: [] as { mark: number; at: number }[],
          mark: null as { mark: number; at: number } | null,
        }));
        for (const o of ops) {
          const w = writers[o.who];
          const before = w.r.position;
          if (o.kind === 'bulk') {
            const s = String.fromCharCode(97 + (o.size % 26)).repeat(o.size);
            w.r.bulk(s);
            w.model += `$${o.size}\r\n${s}\r\n`;
          } else if (o.kind === 'bulkRun') {
            // Written from the middle of an array, as LRANGE writes a chunk's slice.
            const values = ['before', ...o.sizes.map((n) => String.fromCharCode(97 + (n % 26)).repeat(n)), 'after'];
            w.r.bulkRun(values, 1, values.length - 1);
            for (const v of values.slice(1, -1)) w.model += `$${v.length}\r\n${v}\r\n`;
          } else if (o.kind === 'int') {
            w.r.int(o.n);
            w.model += `:${o.n}\r\n`;
          } else if (o.kind === 'message') {
            const payload = 'm'.repeat(o.size);
            w.r.message(new PushMessage(['message', 'ch', payload]));
            w.model += `*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$${o.size}\r\n${payload}\r\n`;
          } else if (o.kind === 'begin') {
            w.deferred.push({ mark: w.r.beginDeferred(), at: w.model.length });
          } else if (o.kind === 'end') {
            const d = w.deferred.pop();
            if (d === undefined) continue;
            w.r.endDeferred(d.mark, 'array', o.n);
            w.model = w.model.slice(0, d.at) + `*${o.n}\r\n` + w.model.slice(d.at);
          } else if (w.deferred.length > 0) {
            // Marks, truncation and taking happen between commands, never inside a deferred reply.
            continue;
          } else if (o.kind === 'mark') {
            w.mark = { mark: before, at: w.model.length };
          } else if (o.kind === 'truncate') {
            if (w.mark === null) continue;
            w.r.truncate(w.mark.mark);
            w.model = w.model.slice(0, w.mark.at);
            w.mark = null;
          } else if (o.kind === 'take') {
            w.sent += handOut(w.r.take(), o.sent);
            w.model = '';
            w.mark = null;
          } else {
            const n = Math.max(0, w.model.length - o.back);
            w.sent += handOut(w.r.takeUpTo(w.r.position - w.model.length + n), o.sent);
            w.model = w.model.slice(n);
            w.mark = null;
          }
          if (w.deferred.length === 0) expect(w.r.length).toBe(w.model.length);
        }
        for (const w of writers) {
          for (const d of w.deferred.reverse()) {
            w.r.endDeferred(d.mark, 'array', 0);
            w.model = w.model.slice(0, d.at) + '*0\r\n' + w.model.slice(d.at);
          }
          expect(w.sent + text(w.r.take())).toBe(w.sent + w.model);
        }
        for (const h of held) expect(text(h.out)).toBe(h.text);
      }),
      { numRuns: 500 },
    );
  });
});

/** A producer writing `parts` as bulks, as engine/streamed-reply.ts's write ranges. */
class BulkProducer implements ReplyProducer {
  released = 0;
  constructor(readonly parts: string[]) {}
  produce(reply: Reply, budget: number): boolean {
    while (this.parts.length > 0 && reply.length < budget) reply.bulk(this.parts.shift()!);
    return this.parts.length === 0;
  }
  release(): void {
    this.released++;
  }
}

describe('Reply.stream', () => {
  const bulkText = (s: string): string => `$${s.length}\r\n${s}\r\n`;

  it('writes producers in order between the output before and after them, whatever the interleaving, marks and takes', () => {
    type Op =
      | { kind: 'bulk'; who: number; size: number }
      | { kind: 'stream'; who: number; sizes: number[] }
      | { kind: 'begin'; who: number }
      | { kind: 'end'; who: number; n: number }
      | { kind: 'mark'; who: number }
      | { kind: 'truncate'; who: number }
      | { kind: 'take'; who: number }
      | { kind: 'takeUpTo'; who: number; back: number }
      | { kind: 'produce'; who: number; budget: number };
    const who = fc.integer({ min: 0, max: 1 });
    const size = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 3000, max: 70_000 }));
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('bulk' as const), who, size }),
      fc.record({ kind: fc.constant('stream' as const), who, sizes: fc.array(size, { maxLength: 12 }) }),
      fc.record({ kind: fc.constant('begin' as const), who }),
      fc.record({ kind: fc.constant('end' as const), who, n: fc.integer({ min: 0, max: 1e9 }) }),
      fc.record({ kind: fc.constant('mark' as const), who }),
      fc.record({ kind: fc.constant('truncate' as const), who }),
      fc.record({ kind: fc.constant('take' as const), who }),
      fc.record({ kind: fc.constant('takeUpTo' as const), who, back: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('produce' as const), who, budget: fc.integer({ min: 1, max: 200_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        type Item = string | BulkProducer;
        const writers = [0, 1].map(() => {
          const r = new Reply();
          r.streamable = true;
          return {
            r,
            /** The pending output: strings written by commands, producers between them. */
            items: [] as Item[],
            sent: '',
            producers: [] as BulkProducer[],
            deferred: [] as { mark: number; item: number; at: number }[],
            mark: null as { mark: number; items: Item[] } | null,
          };
        });
        const append = (items: Item[], text: string): void => {
          if (typeof items[items.length - 1] === 'string') items[items.length - 1] += text;
          else items.push(text);
        };
        const pendingText = (items: Item[]): number => items.reduce((n, i) => n + (typeof i === 'string' ? i.length : 0), 0);
        for (const o of ops) {
          const w = writers[o.who];
          const before = w.r.position;
          if (o.kind === 'bulk') {
            const text = String.fromCharCode(97 + (o.size % 26)).repeat(o.size);
            w.r.bulk(text);
            append(w.items, bulkText(text));
          } else if (o.kind === 'stream') {
            // As a command streams: its header, then the producer of the elements.
            const p = new BulkProducer(o.sizes.map((n) => String.fromCharCode(65 + (n % 26)).repeat(n)));
            w.producers.push(p);
            w.r.array(o.sizes.length);
            append(w.items, `*${o.sizes.length}\r\n`);
            w.r.stream(p);
            w.items.push(p);
          } else if (o.kind === 'begin') {
            append(w.items, '');
            w.deferred.push({ mark: w.r.beginDeferred(), item: w.items.length - 1, at: (w.items[w.items.length - 1] as string).length });
          } else if (o.kind === 'end') {
            const d = w.deferred.pop();
            if (d === undefined) continue;
            w.r.endDeferred(d.mark, 'array', o.n);
            const text = w.items[d.item] as string;
            w.items[d.item] = text.slice(0, d.at) + `*${o.n}\r\n` + text.slice(d.at);
          } else if (w.deferred.length > 0) {
            // Marks, truncation, taking and producing happen between commands.
            continue;
          } else if (o.kind === 'mark') {
            w.mark = { mark: before, items: [...w.items] };
          } else if (o.kind === 'truncate') {
            if (w.mark === null) continue;
            w.r.truncate(w.mark.mark);
            w.items = w.mark.items;
            w.mark = null;
          } else if (o.kind === 'take' || o.kind === 'takeUpTo') {
            let n = o.kind === 'take' ? Infinity : Math.max(0, pendingText(w.items) - o.back);
            const out = text(o.kind === 'take' ? w.r.take() : w.r.takeUpTo(w.r.position - pendingText(w.items) + n));
            let want = '';
            while (typeof w.items[0] === 'string' && n > 0) {
              const head = w.items[0];
              want += head.slice(0, n);
              if (head.length <= n) w.items.shift();
              else w.items[0] = head.slice(n);
              n -= head.length;
            }
            expect(out).toBe(want);
            w.sent += out;
            w.mark = null;
          } else {
            const first = w.items[0];
            const out = text(w.r.produce(o.budget));
            if (!(first instanceof BulkProducer)) {
              expect(out).toBe('');
              continue;
            }
            w.sent += out;
            if (first.parts.length === 0) w.items.shift();
            w.mark = null;
          }
          if (w.deferred.length === 0) {
            expect(w.r.length).toBe(pendingText(w.items));
            if (typeof w.items[0] === 'string' && w.items[0] === '') w.items.shift();
          }
        }
        for (const w of writers) {
          for (const d of w.deferred.reverse()) {
            w.r.endDeferred(d.mark, 'array', 0);
            const t = w.items[d.item] as string;
            w.items[d.item] = t.slice(0, d.at) + '*0\r\n' + t.slice(d.at);
          }
          // The whole output, producers' parts where they stand.
          let want = w.sent;
          for (const item of w.items) want += typeof item === 'string' ? item : item.parts.map(bulkText).join('');
          let got = w.sent;
          while (w.r.length > 0 || w.r.streams > 0) got += text(w.r.take()) + text(w.r.produce(1 << 20));
          expect(got).toBe(want);
          // Each producer released once: when complete, or dropped by a truncate.
          for (const p of w.producers) expect(p.released).toBe(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('drops the producers of a dropped client, releasing each once', () => {
    const r = new Reply();
    r.streamable = true;
    const producers = [new BulkProducer(['a', 'b']), new BulkProducer(['c'])];
    r.array(2);
    r.stream(producers[0]);
    r.bulk('x');
    r.stream(producers[1]);
    expect(text(r.take())).toBe('*2\r\n');
    expect(text(r.produce(1))).toBe('$1\r\na\r\n');
    r.dropProducers();
    expect(r.streams).toBe(0);
    expect(producers.map((p) => p.released)).toEqual([1, 1]);
  });

  it('may not stream while replies are muted (pushes tracked), nor where no socket runs producers', () => {
    const r = new Reply();
    expect(r.canStream).toBe(false);
    r.streamable = true;
    expect(r.canStream).toBe(true);
    r.trackPushes();
    expect(r.canStream).toBe(false);
    r.settlePushes(null);
    expect(r.canStream).toBe(true);
  });
});

/** [value, precision, what glibc's printf("%.<precision>g") prints] (generated with gcc). */
const GLIBC_VECTORS: [number, number, string][] = [
  [1, 17, '1'],
  [-1, 17, '-1'],
  [0.1, 17, '0.10000000000000001'],
  [0.2, 17, '0.20000000000000001'],
  [0.3, 17, '0.29999999999999999'],
  [1.1, 17, '1.1000000000000001'],
  [3.14, 17, '3.1400000000000001'],
  [-3.14, 17, '-3.1400000000000001'],
  [2.5, 17, '2.5'],
  [1e-5, 17, '1.0000000000000001e-05'],
  [0.0001, 17, '0.0001'],
  [0.00012345, 17, '0.00012344999999999999'],
  [0.000012345, 17, '1.2345e-05'],
  [123456789.123, 17, '123456789.123'],
  [1e15, 17, '1000000000000000'],
  [1e16, 17, '10000000000000000'],
  [1e17, 17, '1e+17'],
  [1.2345678901234567e17, 17, '1.2345678901234566e+17'],
  [9007199254740993, 17, '9007199254740992'],
  [9007199254740992, 17, '9007199254740992'],
  [18014398509481984, 17, '18014398509481984'],
  [1e21, 17, '1e+21'],
  [1e22, 17, '1e+22'],
  [1e23, 17, '9.9999999999999992e+22'],
  [1.7976931348623157e308, 17, '1.7976931348623157e+308'],
  [-1.7976931348623157e308, 17, '-1.7976931348623157e+308'],
  [2.2250738585072014e-308, 17, '2.2250738585072014e-308'],
  [2.225073858507201e-308, 17, '2.2250738585072009e-308'],
  [5e-324, 17, '4.9406564584124654e-324'],
  [1e-320, 17, '9.9998886718268301e-321'],
  [1000000000000000.25, 17, '1000000000000000.2'],
  [1000000000000000.75, 17, '1000000000000000.8'],
  [-1000000000000000.25, 17, '-1000000000000000.2'],
  [1125899906842624.125, 17, '1125899906842624'],
  [562949953421312.125, 17, '562949953421312.12'],
  [0.3333333333333333, 17, '0.33333333333333331'],
  [0.6666666666666666, 17, '0.66666666666666663'],
  [100, 17, '100'],
  [1e100, 17, '1e+100'],
  [1.5e-7, 17, '1.4999999999999999e-07'],
  [4.35, 17, '4.3499999999999996'],
  [0.1e-6, 17, '9.9999999999999995e-08'],
  [12345678901234567890, 17, '1.2345678901234567e+19'],
  [99999999999999999, 17, '1e+17'],
  [0.99999999999999989, 17, '0.99999999999999989'],
  [9.9999999999999995e-5, 17, '9.9999999999999991e-05'],
  [0.1, 15, '0.1'],
  [1000000000000000.25, 15, '1e+15'],
  [3.14159265, 6, '3.14159'],
  [1234567, 6, '1.23457e+06'],
  [0.0001234567, 6, '0.000123457'],
  [123456.5, 6, '123456'],
  [1234565, 6, '1.23456e+06'],
  [1234575, 6, '1.23458e+06'],
  [0.5, 1, '0.5'],
  [1.5, 1, '2'],
  [2.5, 1, '2'],
  [9.5, 1, '1e+01'],
  [0.25, 1, '0.2'],
  [99.95, 3, '100'],
  [1234.5, 4, '1234'],
  [1235.5, 4, '1236'],
  [0.000001, 10, '1e-06'],
];

describe('formatDouble / formatG (C printf %g)', () => {
  it.each(GLIBC_VECTORS)('%s at precision %d -> %s', (value, precision, expected) => {
    expect(formatG(value, precision)).toBe(expected);
    if (precision === 17) expect(formatDouble(value)).toBe(expected);
  });

  it('rounds exact ties to even, as glibc does (V8 rounds them up)', () => {
    // 2^50 + 0.25 and + 0.75 have exactly 18 significant digits, the last one a 5.
    expect(formatDouble(1000000000000000.25)).toBe('1000000000000000.2');
    expect(formatDouble(1000000000000000.75)).toBe('1000000000000000.8');
    expect(formatG(0.125, 2)).toBe('0.12');
    expect(formatG(0.375, 2)).toBe('0.38');
  });

  it('prints signed zero, infinities and NaN as redis-server does', () => {
    expect(formatDouble(0)).toBe('0');
    expect(formatDouble(-0)).toBe('-0');
    expect(formatDouble(Infinity)).toBe('inf');
    expect(formatDouble(-Infinity)).toBe('-inf');
    expect(formatDouble(NaN)).toBe('nan');
  });
});

describe.skipIf(!hasRedisServer())('formatDouble vs redis-server (ZSCORE prints %.17g)', () => {
  const redis = suiteRedis();
  const client = suiteClient(redis);

  /** redis-server's formatting of each value: ZADD parses with strtod, ZSCORE prints %.17g. */
  async function redisFormat(values: number[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < values.length; i += 500) {
      const batch = values.slice(i, i + 500);
      const pairs = batch.flatMap((v, j) => [v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v), `m${j}`]);
      await client.call('DEL', 'z');
      await client.call('ZADD', 'z', ...pairs);
      for (let j = 0; j < batch.length; j++) client.write(`ZSCORE z m${j}\r\n`);
      for (let j = 0; j < batch.length; j++) out.push((await client.read()).value as string);
    }
    return out;
  }

  it('formats random doubles of every magnitude exactly as redis-server', async () => {
    const doubles = fc.sample(fc.double({ noNaN: true }), { seed: 17, numRuns: 3000 });
    const shaped = fc.sample(
      fc.tuple(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 60 })).map(([m, s]) => m / 2 ** s),
      { seed: 18, numRuns: 2000 },
    );
    const ties = Array.from({ length: 200 }, (_, i) => 2 ** 50 + i * 0.25 + 0.25);
    // -0 is left out: a small sorted set stores it as the integer 0.
    const values = [...doubles, ...shaped, ...ties, ...GLIBC_VECTORS.map((v) => v[0]), 0, Infinity, -Infinity].filter((v) => !Object.is(v, -0));
    const theirs = await redisFormat(values);
    for (let i = 0; i < values.length; i++) {
      expect(formatDouble(values[i]), `value ${values[i]}`).toBe(theirs[i]);
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
