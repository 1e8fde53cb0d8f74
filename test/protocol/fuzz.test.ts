/**
 * Malformed input, generated (fast-check, fixed seeds): random bytes and mutated
 * valid RESP. Sent one connection at a time to our broker and a real redis-server,
 * the whole reply streams must match; sent on many connections at once to a broker
 * process, it must never crash while a separate well-behaved client keeps getting
 * correct replies. Slow clients holding half a command must not stall anyone.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS, spawnBroker, type RunningServer } from '../harness/servers.js';
import { show, suiteServers } from '../harness/diff.js';

/** Connects, sends `bytes`, half-closes, and returns everything received until the server closes. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the connection open after EOF (sent ${show(bytes)})`));
    }, 10_000);
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => undefined); // a reset after a protocol error is fine
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

const byte = fc.integer({ min: 0, max: 255 });
/** Bytes that matter to the framing, more often than chance would pick them. */
const framingByte = fc.constantFrom(...Buffer.from('*$\r\n\r\n0123456789- "\'\\\0x'));
const word = fc.stringMatching(/^[a-z0-9]{0,8}$/);
const command = fc.oneof(
  fc.constant(['PING']),
  word.map((w) => ['PING', w]),
  fc.array(word, { minLength: 0, maxLength: 3 }).map((ws) => ['ECHO', ...ws]),
  fc.tuple(fc.integer({ min: 0, max: 9 }), word).map(([k, v]) => ['SET', `fuzz:${k}`, v]),
  fc.integer({ min: 0, max: 9 }).map((k) => ['GET', `fuzz:${k}`]),
);
const validRequest = fc.oneof(
  { weight: 3, arbitrary: command.map((argv) => encodeCommand(argv)) },
  { weight: 1, arbitrary: command.map((argv) => Buffer.from(argv.join(' ') + '\r\n')) },
);

type Mutation =
  | { kind: 'flip' | 'insert'; at: number; value: number }
  | { kind: 'delete' | 'duplicate'; at: number; length: number }
  | { kind: 'number'; at: number; digits: string }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.oneof(byte, framingByte) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.oneof(byte, framingByte) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({
    kind: fc.constant('number' as const),
    at: fc.nat(),
    digits: fc.constantFrom('0', '-1', '-0', '00', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '99999999999999999999', '16384', '16385', ''),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies one mutation; `number` rewrites the digits right after the '*' or '$' nearest `at`. */
function mutate(buf: Buffer, m: Mutation): Buffer {
  if (buf.length === 0) return buf;
  const at = m.at % buf.length;
  switch (m.kind) {
    case 'flip': {
      const copy = Buffer.from(buf);
      copy[at] = m.value;
      return copy;
    }
    case 'insert':
      return Buffer.concat([buf.subarray(0, at), Buffer.from([m.value]), buf.subarray(at)]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length)]);
    case 'duplicate':
      return Buffer.concat([buf.subarray(0, at + m.length), buf.subarray(at)]);
    case 'truncate':
      return buf.subarray(0, at);
    case 'number': {
      let start = at;
      while (start < buf.length && buf[start] !== 42 && buf[start] !== 36) start++;
      if (start >= buf.length) return buf;
      let end = start + 1;
      while (end < buf.length && buf[end] !== 13) end++;
      return Buffer.concat([buf.subarray(0, start + 1), Buffer.from(m.digits), buf.subarray(end)]);
    }
  }
}

const mutatedPipeline = fc
  .tuple(fc.array(validRequest, { minLength: 1, maxLength: 6 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([reqs, ms]) => ms.reduce(mutate, Buffer.concat(reqs)));
const randomBytes = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean())
  .map(([a, endLine]) => Buffer.concat([Buffer.from(a), Buffer.from(endLine ? '\r\n' : '')]));
const framingNoise = fc.array(framingByte, { minLength: 1, maxLength: 60 }).map((a) => Buffer.from(a));
const fuzzInput = fc.oneof({ weight: 4, arbitrary: mutatedPipeline }, { weight: 1, arbitrary: randomBytes }, { weight: 1, arbitrary: framingNoise });

describe.skipIf(!hasRedisServer())('fuzzed input vs redis-server: same replies, same close', () => {
  const servers = suiteServers();

  it('answers 1,500 mutated pipelines byte for byte as redis-server', async () => {
    const inputs = fc.sample(fuzzInput, { seed: 0xf022, numRuns: 1500 }).map((b) => Buffer.from(b));
    for (const input of inputs) {
      // Sequential on purpose: SET/GET results depend on the order of earlier inputs.
      const [o, r] = await Promise.all([exchange(servers.ours.port, input), exchange(servers.ref.port, input)]);
      expect(show(o), `replies to ${show(input)}`).toBe(show(r));
    }
  });
});

describe('fuzzed input on many connections: the broker survives and keeps serving', () => {
  let broker: RunningServer & { child: import('node:child_process').ChildProcess };
  let stderr = '';
  beforeAll(async () => {
    broker = await spawnBroker();
    broker.child.stderr?.on('data', (d) => (stderr += d));
  });
  afterAll(() => broker?.stop());

  it('stays up under 3,000 malformed connections, 16 at a time, while a healthy client runs', async () => {
    const inputs = fc.sample(
      fc.oneof(
        { weight: 6, arbitrary: fuzzInput },
        // Large declared sizes make the broker allocate; it must not trust them.
        { weight: 1, arbitrary: fc.constantFrom('*2147483647\r\n', '*2\r\n$536870912\r\nab', '*1\r\n$1000000\r\n' + 'x'.repeat(1000)).map((s) => Buffer.from(s)) },
      ),
      { seed: 0xbad, numRuns: 3000 },
    );
    const healthy = await RawClient.connect(broker.port);
    let fuzzing = true;
    let checks = 0;
    const healthyLoop = (async () => {
      while (fuzzing || checks < 50) {
        const value = `v${checks}:\r\n\0`;
        expect((await healthy.call('SET', `healthy:${checks % 7}`, value)).raw.toString()).toBe('+OK\r\n');
        expect((await healthy.call('GET', `healthy:${checks % 7}`)).value).toBe(value);
        expect((await healthy.call('PING')).raw.toString()).toBe('+PONG\r\n');
        checks++;
      }
    })();
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) await exchange(broker.port, inputs[next++]);
    };
    try {
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      fuzzing = false;
    }
    await healthyLoop;
    expect(checks).toBeGreaterThanOrEqual(50);
    expect(broker.child.exitCode, stderr).toBeNull();
    // A brand-new client is served too.
    const fresh = await RawClient.connect(broker.port);
    expect((await fresh.call('GET', 'healthy:0')).value).toBe(`v${checks - 1 - ((checks - 1) % 7)}:\r\n\0`);
    fresh.close();
    healthy.close();
  });

  it('serves everyone while slow clients send a command one byte at a time', async () => {
    const partial = encodeCommand(['SET', 'slow', 'x'.repeat(100)]);
    // 50 slow clients each hold part of a command; one of them completes it byte by byte.
    const slow = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(broker.port)));
    slow.forEach((c, i) => c.write(partial.subarray(0, 1 + (i % (partial.length - 1)))));
    const healthy = await RawClient.connect(broker.port);
    const loris = slow[0];
    for (let i = 1; i < partial.length; i++) {
      loris.write(partial.subarray(i, i + 1));
      if (i % 10 === 0) {
        expect((await healthy.call('ECHO', `step ${i}`)).value).toBe(`step ${i}`);
      }
    }
    expect((await loris.read()).raw.toString()).toBe('+OK\r\n');
    expect((await healthy.call('GET', 'slow')).value).toBe('x'.repeat(100));
    for (const c of slow) c.close();
    healthy.close();
    expect(broker.child.exitCode, stderr).toBeNull();
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
