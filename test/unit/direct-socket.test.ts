/**
 * The direct socket path (broker/net/direct-read.ts, direct-write.ts) on the Node.js that
 * runs the tests: both must take hold of an accepted socket, not fall back to the
 * socket's streams. Each falls back silently by design (a future Node may drop the
 * internals they use), so this is where a Node upgrade that costs the fast path shows.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readDirectly } from '../../broker/net/direct-read.js';
import { DirectWrites } from '../../broker/net/direct-write.js';

describe('direct socket reads and writes', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  /** An accepted socket and the client connected to it. */
  async function acceptedPair(): Promise<{ accepted: net.Socket; client: net.Socket }> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    closers.push(() => client.destroy());
    const socket = await accepted;
    closers.push(() => socket.destroy());
    return { accepted: socket, client };
  }

  it('reads an accepted socket into the shared buffer, each read handed over once', async () => {
    const { accepted, client } = await acceptedPair();
    const reads: string[] = [];
    const received = new Promise<void>((resolve) => {
      expect(readDirectly(accepted, (chunk) => (reads.push(chunk.toString('latin1')), resolve()))).toBe(true);
    });
    client.write('PING\r\n');
    await received;
    expect(reads.join('')).toBe('PING\r\n');
  });

  it('writes replies to the handle in order, past the Writable', async () => {
    const { accepted, client } = await acceptedPair();
    const writes = DirectWrites.for(accepted, () => {});
    expect(writes).not.toBeNull();
    expect(writes!.usable).toBe(true);
    let text = '';
    const received = new Promise<void>((resolve) =>
      client.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.endsWith(':1\r\n')) resolve();
      }),
    );
    expect(writes!.write([Buffer.from('+PONG\r\n')])).toBe(0);
    expect(writes!.write([Buffer.from(':1'), Buffer.from('\r\n')])).toBe(0);
    await received;
    expect(text).toBe('+PONG\r\n:1\r\n');
  });
});
