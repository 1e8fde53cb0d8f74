/**
 * DUMP and RESTORE against redis-server: payloads byte for byte for the same values,
 * payloads of either server restored by the other (the restored keys then look the
 * same through every reply), and every refusal with redis-server's error text:
 * options, TTLs, BUSYKEY, RDB version and CRC-64 footer, truncated and corrupted
 * payloads (never a crash).
 */
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../engine/persist/rdb/crc64.js';
import { diffSuite, show } from '../harness/diff.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';

/** A payload with its footer recomputed after a change to its body or version. */
function resealed(payload: Buffer, change: (body: Buffer) => Buffer): Buffer {
  const body = change(Buffer.from(payload.subarray(0, payload.length - 8)));
  return Buffer.concat([body, new Crc64().update(body).bytes()]);
}

describe.skipIf(!hasRedisServer())('DUMP and RESTORE vs redis-server', () => {
  if (!hasRedisServer()) console.warn(NO_REDIS);
  const { p } = diffSuite({ flushEach: true });

  async function payloads(key: string): Promise<{ ours: Buffer; ref: Buffer }> {
    const { ours, ref } = await p.both('DUMP', key);
    const body = (raw: Buffer): Buffer => raw.subarray(raw.indexOf('\r\n') + 2, raw.length - 2);
    return { ours: body(ours.raw), ref: body(ref.raw) };
  }

  it('dumps the same bytes for the same strings, lists and streams', async () => {
    const values = ['', 'a', '0', '-128', '127', '-32769', '2147483647', '2147483648', '007', 'x'.repeat(20), 'x'.repeat(21), 'payload-'.repeat(60), '\x00\xff\r\n'];
    const commands: string[][] = values.map((v, i) => ['SET', `s${i}`, v]);
    commands.push(['INCRBY', 'counter', '123456789012']);
    commands.push(['RPUSH', 'list', 'a', '1', '-1', '4096', '99999999999', 'x'.repeat(70), '']);
    commands.push(['RPUSH', 'long', ...Array.from({ length: 2000 }, (_, i) => `element-${i}`)]);
    for (let i = 1; i <= 300; i++) commands.push(['XADD', 'stream', `${1000 + i}-${i % 3}`, 'f', String(i), ...(i % 50 === 0 ? ['g', 'h'] : [])]);
    commands.push(['XDEL', 'stream', '1005-2', '1100-1']);
    commands.push(['XGROUP', 'CREATE', 'stream', 'empty-group', '$']);
    await p.samePipeline(commands);
    const keys = [...values.map((_, i) => `s${i}`), 'counter', 'list', 'long', 'stream'];
    for (const key of keys) {
      const { ours, ref } = await payloads(key);
      expect(show(ours), key).toBe(show(ref));
    }
    await p.same('DUMP', 'missing');
  });

  it("restores the other server's payloads: the keys then reply the same", async () => {
    const build: string[][] = [
      ['SET', 'str', 'payload-'.repeat(40)],
      ['RPUSH', 'list', ...Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? String(i) : `v${i}`))],
      ...Array.from({ length: 200 }, (_, i) => ['XADD', 'stream', `${i + 1}-0`, 'n', String(i), 'p', 'x'.repeat(i % 30)]),
      ['XGROUP', 'CREATE', 'stream', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '30', 'STREAMS', 'stream', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '5', 'STREAMS', 'stream', '>'],
      ['XACK', 'stream', 'g', '3-0'],
      ['XDEL', 'stream', '10-0'],
      ['XGROUP', 'CREATECONSUMER', 'stream', 'g', 'idle'],
    ];
    const checks: string[][] = [
      ['GET', 'str'],
      ['LRANGE', 'list', '0', '-1'],
      ['XINFO', 'STREAM', 'stream', 'FULL'],
      ['XPENDING', 'stream', 'g'],
      ['DEBUG', 'DIGEST-VALUE', 'str', 'list', 'stream'],
    ];
    for (const writer of ['ours', 'ref'] as const) {
      await p.same('FLUSHALL');
      const source = writer === 'ours' ? p.ours : p.ref;
      for (const argv of build) await source.call(...argv);
      const dumped: [string, Buffer][] = [];
      for (const key of ['str', 'list', 'stream']) {
        const raw = (await source.call('DUMP', key)).raw;
        dumped.push([key, raw.subarray(raw.indexOf('\r\n') + 2, raw.length - 2)]);
      }
      await p.same('FLUSHALL');
      for (const [key, payload] of dumped) await p.same('RESTORE', key, '0', payload);
      for (const argv of checks) await p.same(...argv);
    }
  });

  it('options, TTLs and refusals with the same replies', async () => {
    await p.same('SET', 'k', 'value');
    const payload = (await payloads('k')).ref;
    const far = '5000000000000';
    await p.samePipeline([
      ['RESTORE', 'k', '0', payload],
      ['RESTORE', 'k', '0', payload, 'REPLACE'],
      ['RESTORE', 'k2', '-1', payload],
      ['RESTORE', 'k2', 'abc', payload],
      ['RESTORE', 'k2', '0', payload, 'BOGUS'],
      ['RESTORE', 'k2', '0', payload, 'IDLETIME', '-1'],
      ['RESTORE', 'k2', '0', payload, 'IDLETIME', 'x'],
      ['RESTORE', 'k2', '0', payload, 'FREQ', '256'],
      ['RESTORE', 'k2', '0', payload, 'FREQ', '5'],
      ['RESTORE', 'k2', '0', payload, 'IDLETIME', '10', 'FREQ', '5'],
      ['RESTORE', 'k2', '0', payload, 'IDLETIME'],
      ['RESTORE', 'k3', '0', payload, 'IDLETIME', '1000'],
      ['OBJECT', 'IDLETIME', 'k3'],
      ['RESTORE', 'k4', far, payload, 'ABSTTL'],
      ['PEXPIRETIME', 'k4'],
      ['RESTORE', 'k5', '1', payload, 'ABSTTL'],
      ['EXISTS', 'k5'],
      ['RESTORE', 'k4', '1', payload, 'ABSTTL', 'REPLACE'],
      ['EXISTS', 'k4'],
      ['RESTORE', 'k6', '100000', payload],
      ['TYPE', 'k6'],
    ]);
    const { ours, ref } = await p.both('PTTL', 'k6');
    expect(Number(ours.value)).toBeGreaterThan(90000);
    expect(Number(ref.value)).toBeGreaterThan(90000);
  });

  it('bad versions, checksums and payloads get the same errors, never a crash', async () => {
    await p.same('RPUSH', 'l', 'a', 'b', 'c');
    await p.same('SET', 's', 'hello');
    const list = (await payloads('l')).ref;
    const str = (await payloads('s')).ref;
    const flipped = Buffer.from(str);
    flipped[2] ^= 1;
    const badCrc = Buffer.from(str);
    badCrc[badCrc.length - 1] ^= 1;
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('short'),
      Buffer.alloc(9),
      flipped,
      badCrc,
      resealed(str, (b) => (b.writeUInt16LE(11, b.length - 2), b)),
      resealed(str, (b) => (b.writeUInt16LE(9, b.length - 2), b)),
      resealed(str, (b) => ((b[0] = 8), b)),
      resealed(str, (b) => ((b[0] = 30), b)),
      resealed(str, (b) => Buffer.concat([b.subarray(0, 3), b.subarray(b.length - 2)])),
      resealed(list, (b) => Buffer.concat([b.subarray(0, 6), b.subarray(b.length - 2)])),
      resealed(str, (b) => ((b[1] = 0x3f), b)),
    ];
    for (const [i, payload] of cases.entries()) await p.same('RESTORE', `bad${i}`, '0', payload);
    await p.same('PING');
  });
});
