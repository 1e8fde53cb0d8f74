/**
 * Replies are bytes (issue 11, problem 2): pipelined replies that together exceed the
 * longest JS string (2^29 - 24 characters), and single replies of hundreds of
 * megabytes, reach the client whole and in order; the broker stays up. The client
 * checks every byte as it streams in, without holding the replies.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { spawnBroker, type RunningServer } from '../harness/servers.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/**
 * Sends `request` on a fresh connection and reads until `expected` has arrived `times`
 * over; resolves with the number of bytes that matched before the first mismatch
 * (all of them on success) or the connection ended.
 */
async function readRepeated(port: number, request: Buffer, expected: Buffer, times: number): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  const total = expected.length * times;
  let matched = 0;
  try {
    return await new Promise<number>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        let p = 0;
        while (p < chunk.length) {
          const at = matched % expected.length;
          const n = Math.min(chunk.length - p, expected.length - at);
          if (chunk.compare(expected, at, at + n, p, p + n) !== 0) return resolve(matched);
          matched += n;
          p += n;
        }
        if (matched >= total) resolve(matched);
      });
      socket.on('close', () => resolve(matched));
      socket.on('error', () => resolve(matched));
      socket.write(request);
    });
  } finally {
    socket.destroy();
  }
}

/** A value of `size` bytes with every byte value in it, and its bulk reply. */
function valueAndBulk(size: number): { value: Buffer; bulk: Buffer } {
  const value = Buffer.alloc(size);
  for (let i = 0; i < size; i++) value[i] = (i * 7) & 0xff;
  return { value, bulk: Buffer.concat([Buffer.from(`$${size}\r\n`), value, Buffer.from('\r\n')]) };
}

describe('replies larger than a JS string', () => {
  it('answers 6,000 pipelined GETs of a 100,000-byte value, 600 MB in all, in one read', async () => {
    const server = await spawnBroker();
    servers.push(server);
    const { value, bulk } = valueAndBulk(100_000);
    const client = await RawClient.connect(server.port);
    expect((await client.call('SET', 'v', value)).raw.toString()).toBe('+OK\r\n');
    const request = Buffer.from('GET v\r\n'.repeat(6000));
    expect(await readRepeated(server.port, request, bulk, 6000)).toBe(bulk.length * 6000);
    expect((await client.call('PING')).raw.toString()).toBe('+PONG\r\n');
    client.close();
  });

  it('answers 600 pipelined GETs of a 1 MB value, none of them an error', async () => {
    const server = await spawnBroker();
    servers.push(server);
    const { value, bulk } = valueAndBulk(1 << 20);
    const client = await RawClient.connect(server.port);
    await client.call('SET', 'v', value);
    const request = Buffer.concat(Array.from({ length: 600 }, () => encodeCommand(['GET', 'v'])));
    expect(await readRepeated(server.port, request, bulk, 600)).toBe(bulk.length * 600);
    expect((await client.call('PING')).raw.toString()).toBe('+PONG\r\n');
    client.close();
  });
});
