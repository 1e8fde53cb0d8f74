/**
 * CLIENT LIST / CLIENT INFO's per-client buffer fields against redis-server: the
 * query buffer (qbuf, and argv-mem of a command still arriving, of the caller, of a
 * blocked client), MULTI's queue (multi-mem), the output fields (obl, oll, omem) and
 * the flags. Fields sized by allocators (qbuf-free, rbs, tot-mem) differ by design:
 * they are checked for what they must show (room reserved for a long bulk, a peak
 * after a long reply), not compared.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';
import { encodeCommand, type RawClient } from '../harness/raw.js';

const COMPARED = ['flags', 'multi', 'qbuf', 'argv-mem', 'multi-mem', 'obl', 'oll', 'omem', 'cmd', 'redir', 'resp', 'sub'];

/** The fields of one CLIENT LIST line. */
function fields(line: string): Record<string, string> {
  return Object.fromEntries(line.split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
}

function compared(line: string): string {
  const f = fields(line);
  return COMPARED.map((name) => `${name}=${f[name]}`).join(' ');
}

/** CLIENT LIST from `c`, one entry per line, by client name (clients are named in the tests). */
async function listByName(c: RawClient): Promise<Map<string, string>> {
  const text = String((await c.call('CLIENT', 'LIST')).value);
  const out = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l !== '')) out.set(fields(line).name, line);
  return out;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasRedisServer())('CLIENT LIST buffer fields vs redis-server', () => {
  const { servers, p } = diffSuite();
  beforeAll(async () => {
    await p.same('CLIENT', 'SETNAME', 'caller');
  });

  it("shows the caller's own command in its query buffer and argv-mem", async () => {
    const { ours, ref } = await p.both('CLIENT', 'INFO');
    expect(compared(String(ours.value))).toBe(compared(String(ref.value)));
    // A pipelined command after it is in the query buffer too.
    const bytes = Buffer.concat([encodeCommand(['CLIENT', 'INFO']), encodeCommand(['PING'])]);
    p.ours.write(bytes);
    p.ref.write(bytes);
    const [o, r] = await Promise.all([p.ours.readMany(2), p.ref.readMany(2)]);
    expect(compared(String(o[0].value))).toBe(compared(String(r[0].value)));
  });

  it('shows blocked, queued and half-received commands', async () => {
    const blocked = await servers.pair();
    const queued = await servers.pair();
    const arriving = await servers.pair();
    await blocked.same('CLIENT', 'SETNAME', 'blocked');
    await queued.same('CLIENT', 'SETNAME', 'queued');
    await arriving.same('CLIENT', 'SETNAME', 'arriving');
    blocked.ours.write(encodeCommand(['BLPOP', 'nosuchlist', '0']));
    blocked.ref.write(encodeCommand(['BLPOP', 'nosuchlist', '0']));
    for (const argv of [['MULTI'], ['SET', 'k', 'v'], ['GET', 'k']]) await queued.same(...argv);
    const head = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n' + 'x'.repeat(1000);
    arriving.ours.write(head);
    arriving.ref.write(head);
    await pause(100);
    const [ours, ref] = await Promise.all([listByName(p.ours), listByName(p.ref)]);
    for (const name of ['blocked', 'queued', 'arriving']) {
      expect(compared(ours.get(name)!), name).toBe(compared(ref.get(name)!));
    }
    // Room is reserved for the rest of the long bulk, and counted in the client's memory.
    const a = fields(ours.get('arriving')!);
    expect(Number(a['qbuf-free'])).toBeGreaterThan(0);
    expect(Number(a['tot-mem'])).toBeGreaterThanOrEqual(Number(a.qbuf) + Number(a['qbuf-free']));
    for (const x of [blocked, queued, arriving]) x.close();
  });

  it('rbp shows the peak of a recent long reply', async () => {
    await p.same('SET', 'big', 'x'.repeat(50_000));
    await p.same('GET', 'big');
    const f = fields(String((await p.ours.call('CLIENT', 'INFO')).value));
    expect(Number(f.rbp)).toBeGreaterThanOrEqual(50_000);
    expect(Number(f.rbs)).toBeGreaterThan(0);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
