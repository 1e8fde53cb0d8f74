/**
 * Blocking list commands against redis-server: the same script of several clients
 * runs on both servers and every reply is compared byte for byte. A script step that
 * blocks waits until the server reports one more blocked client (INFO clients), so
 * the arrival order is the script's order; replies are read client by client, so no
 * step depends on how fast anything runs. Timeouts are short and only their replies
 * are compared, never their timing.
 *
 * Covered: serving in arrival order per key, a client blocked on several keys served
 * once, chained wake-ups (BRPOPLPUSH/BLMOVE pushing onto keys others wait on), a key
 * that turns into another type, BLMOVE to a wrong-type destination, BLMPOP counts,
 * timeouts in RESP2 and RESP3, CLIENT UNBLOCK TIMEOUT/ERROR, pipelined commands held
 * behind a blocked one, a blocked client going away, dbs, pushes inside MULTI/EXEC,
 * and the effects of served clients replayed on redis-server.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { effectsAsText, replayedDigest, type TextEffect } from '../harness/effects.js';
import { encodeCommand, RawClient } from '../harness/raw.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { show, suiteServers } from '../harness/diff.js';

type Step =
  /** Client `c` sends a command that blocks; the step ends once the server counts it blocked. */
  | { c: number; block: string[] }
  /** Client `c` sends a command and its reply is recorded. */
  | { c: number; call: string[] }
  /** The next reply of client `c` (a blocked command's) is recorded. */
  | { c: number; read: true }
  /** Client `c` sends raw commands without reading (a pipeline behind a blocking command). */
  | { c: number; send: string[][] }
  /** Client `c` asks CLIENT UNBLOCK for client `target`'s id; the reply is recorded. */
  | { c: number; unblock: number; how?: 'TIMEOUT' | 'ERROR' }
  /** Client `c` disconnects (it is blocked: the step ends once the server has let it go). */
  | { c: number; close: true }
  /** Waits, so that a timer that would fire too early gets the chance to. */
  | { c: number; pause: number };

const CLIENTS = 5;

async function blockedClients(control: RawClient): Promise<number> {
  const info = (await control.call('INFO', 'clients')).value as string;
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

/** Runs a script on one server; returns the recorded replies, as readable raw strings. */
async function runScript(port: number, steps: readonly Step[]): Promise<string[]> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(port)));
  const control = await RawClient.connect(port);
  const ids: string[] = [];
  for (const c of clients) ids.push(String((await c.call('CLIENT', 'ID')).value));
  const out: string[] = [];
  try {
    await control.call('FLUSHALL');
    for (const step of steps) {
      const client = clients[step.c];
      if ('block' in step) {
        const before = await blockedClients(control);
        client.write(encodeCommand(step.block));
        while ((await blockedClients(control)) <= before) await new Promise((r) => setTimeout(r, 2));
      } else if ('call' in step) {
        out.push(`${step.c} ${step.call.join(' ')} -> ${show((await client.call(...step.call)).raw)}`);
      } else if ('read' in step) {
        out.push(`${step.c} read -> ${show((await client.read()).raw)}`);
      } else if ('send' in step) {
        client.write(Buffer.concat(step.send.map((argv) => encodeCommand(argv))));
      } else if ('unblock' in step) {
        const argv = ['CLIENT', 'UNBLOCK', ids[step.unblock], ...(step.how ? [step.how] : [])];
        out.push(`${step.c} CLIENT UNBLOCK <${step.unblock}> ${step.how ?? ''} -> ${show((await client.call(...argv)).raw)}`);
      } else if ('pause' in step) {
        await new Promise((r) => setTimeout(r, step.pause));
      } else {
        // The server notices the close asynchronously: wait until it counts one blocked client less.
        const before = await blockedClients(control);
        client.close();
        while ((await blockedClients(control)) >= before) await new Promise((r) => setTimeout(r, 2));
      }
    }
  } finally {
    for (const c of clients) c.close();
    control.close();
  }
  return out;
}

describe.skipIf(!hasRedisServer())('blocking list commands vs redis-server', () => {
  const servers = suiteServers({ ours: ['--enable-debug-command', 'yes'], ref: ['--enable-debug-command', 'yes'] });
  const units: TextEffect[][] = [];
  beforeAll(() => {
    servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
  });

  async function same(steps: Step[]): Promise<string[]> {
    const expected = await runScript(servers.ref.port, steps);
    const got = await runScript(servers.ours.port, steps);
    expect(got).toEqual(expected);
    return got;
  }

  it('serves clients blocked on one key in arrival order, one element each', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'q', '0'] },
      { c: 1, block: ['BRPOP', 'q', '0'] },
      { c: 2, block: ['BLPOP', 'q', '0'] },
      { c: 3, call: ['RPUSH', 'q', 'a', 'b'] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 3, call: ['EXISTS', 'q'] },
      { c: 3, call: ['LPUSH', 'q', 'x', 'y', 'z'] },
      { c: 2, read: true },
      { c: 3, call: ['LRANGE', 'q', '0', '-1'] },
    ]);
  });

  it('serves a client blocked on several keys once, from the key that became ready', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'a', 'b', 'c', '0'] },
      { c: 1, block: ['BRPOP', 'c', 'b', '0'] },
      { c: 2, block: ['BLPOP', 'b', '0'] },
      { c: 3, call: ['RPUSH', 'b', '1', '2'] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 3, call: ['RPUSH', 'c', '3'] },
      { c: 3, call: ['RPUSH', 'b', '4'] },
      { c: 2, read: true },
      { c: 3, call: ['LRANGE', 'c', '0', '-1'] },
      { c: 3, call: ['LLEN', 'b'] },
    ]);
  });

  it('chains wake-ups: BRPOPLPUSH and BLMOVE push onto keys others wait on', async () => {
    await same([
      { c: 0, block: ['BRPOPLPUSH', 'a', 'b', '0'] },
      { c: 1, block: ['BLMOVE', 'b', 'c', 'LEFT', 'right', '0'] },
      { c: 2, block: ['BLMPOP', '0', '2', 'x', 'c', 'right', 'COUNT', '3'] },
      { c: 3, block: ['BLPOP', 'a', '0'] },
      { c: 4, call: ['RPUSH', 'a', 'j1', 'j2'] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 2, read: true },
      { c: 3, read: true },
      { c: 4, call: ['DEBUG', 'DIGEST'] },
      { c: 4, call: ['EXISTS', 'a', 'b', 'c', 'x'] },
      { c: 4, call: ['DBSIZE'] },
    ]);
  });

  it('rotates a list onto itself and keeps serving the other waiters of the key', async () => {
    await same([
      { c: 0, block: ['BLMOVE', 'r', 'r', 'left', 'right', '0'] },
      { c: 1, block: ['BRPOPLPUSH', 'r', 'r', '0'] },
      { c: 2, block: ['BLPOP', 'r', '0'] },
      { c: 3, call: ['RPUSH', 'r', 'x', 'y', 'z'] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 2, read: true },
      { c: 3, call: ['LRANGE', 'r', '0', '-1'] },
    ]);
  });

  it('keeps waiting while the key holds another type; BLMOVE to a wrong-type destination fails', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'k', '0'] },
      { c: 1, block: ['BLMOVE', 'src', 's', 'left', 'left', '0'] },
      { c: 2, block: ['BLPOP', 'src', '0'] },
      { c: 3, call: ['SET', 'k', 'string'] },
      { c: 3, call: ['SET', 's', 'string'] },
      { c: 3, call: ['RPUSH', 'src', 'v'] },
      { c: 1, read: true },
      { c: 2, read: true },
      { c: 3, call: ['DEL', 'k'] },
      { c: 3, call: ['RPUSH', 'k', 'now a list'] },
      { c: 0, read: true },
      { c: 3, call: ['EXISTS', 'k', 'src'] },
      { c: 3, call: ['GET', 's'] },
    ]);
  });

  it('wakes waiters when a list arrives by RENAME, COPY, MOVE or SWAPDB; a key named twice serves once', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'r', 'r', '0'] },
      { c: 1, block: ['BRPOPLPUSH', 'c', 'r2', '0'] },
      { c: 2, block: ['BLMPOP', '0', '1', 'm', 'left', 'COUNT', '9'] },
      { c: 4, call: ['RPUSH', 'tmp', 'x', 'y'] },
      { c: 4, call: ['RENAME', 'tmp', 'r'] },
      { c: 0, read: true },
      { c: 4, call: ['COPY', 'r', 'c'] },
      { c: 1, read: true },
      { c: 4, call: ['SELECT', '1'] },
      { c: 4, call: ['RPUSH', 'm', 'from', 'db1'] },
      { c: 4, call: ['MOVE', 'm', '0'] },
      { c: 2, read: true },
      { c: 3, call: ['SELECT', '1'] },
      { c: 3, block: ['BLPOP', 'sw', '0'] },
      { c: 4, call: ['SELECT', '0'] },
      { c: 4, call: ['RPUSH', 'sw', 'swapped'] },
      { c: 4, call: ['SWAPDB', '0', '1'] },
      { c: 3, read: true },
      { c: 4, call: ['DBSIZE'] },
      { c: 4, call: ['LRANGE', 'r', '0', '-1'] },
      { c: 4, call: ['LRANGE', 'r2', '0', '-1'] },
    ]);
  });

  it('times out with the null array in RESP2 and RESP3, whatever the command', async () => {
    const steps: Step[] = [];
    for (const proto of ['2', '3']) {
      for (const c of [0, 1, 2, 3, 4]) steps.push({ c, call: ['HELLO', proto, 'SETNAME', `c${c}`] });
      steps.pop();
      // Sent without waiting for the block: a short timeout may fire before anyone could look.
      steps.push(
        { c: 0, send: [['BLPOP', 'none', '0.02']] },
        { c: 1, send: [['BRPOP', 'none', 'other', '0.01']] },
        { c: 2, send: [['BRPOPLPUSH', 'none', 'dst', '0.0001']] },
        { c: 3, send: [['BLMOVE', 'none', 'dst', 'left', 'right', '0.01']] },
        { c: 0, read: true },
        { c: 1, read: true },
        { c: 2, read: true },
        { c: 3, read: true },
        { c: 0, send: [['BLMPOP', '0.01', '1', 'none', 'left', 'COUNT', '2']] },
        { c: 0, read: true },
        { c: 4, call: ['EXISTS', 'dst'] },
      );
    }
    // HELLO's own reply differs (ids, versions): keep only what follows each switch.
    const filter = (out: string[]): string[] => out.filter((line) => !line.includes(' HELLO '));
    const expected = filter(await runScript(servers.ref.port, steps));
    expect(filter(await runScript(servers.ours.port, steps))).toEqual(expected);
  });

  it('CLIENT UNBLOCK ends a wait with the timeout reply or an error', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'k', '0'] },
      { c: 1, block: ['BRPOPLPUSH', 'k', 'd', '0'] },
      { c: 2, block: ['BLMPOP', '0', '1', 'k', 'left'] },
      { c: 3, block: ['BLMOVE', 'k', 'd', 'right', 'left', '0'] },
      { c: 4, unblock: 0 },
      { c: 0, read: true },
      { c: 4, unblock: 1, how: 'TIMEOUT' },
      { c: 1, read: true },
      { c: 4, unblock: 2, how: 'ERROR' },
      { c: 2, read: true },
      { c: 4, unblock: 3, how: 'ERROR' },
      { c: 3, read: true },
      { c: 4, unblock: 0 },
      { c: 0, call: ['RPUSH', 'k', 'v'] },
      { c: 4, call: ['LRANGE', 'k', '0', '-1'] },
    ]);
  });

  it('holds pipelined commands behind a blocked one and runs them once it is served', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'k', '0'] },
      { c: 0, send: [['PING'], ['RPUSH', 'mine', '1'], ['BLPOP', 'k2', '0'], ['ECHO', 'after']] },
      { c: 1, call: ['EXISTS', 'mine'] },
      { c: 1, call: ['RPUSH', 'k', 'v'] },
      { c: 0, read: true },
      { c: 0, read: true },
      { c: 0, read: true },
      { c: 1, call: ['RPUSH', 'k2', 'w'] },
      { c: 0, read: true },
      { c: 0, read: true },
    ]);
  });

  it('forgets a client that disconnects while blocked, and waits per db', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'k', '0'] },
      { c: 0, close: true },
      { c: 1, call: ['RPUSH', 'k', 'kept'] },
      { c: 1, call: ['LRANGE', 'k', '0', '-1'] },
      { c: 2, call: ['SELECT', '1'] },
      { c: 2, block: ['BLPOP', 'k1', '0'] },
      { c: 1, call: ['RPUSH', 'k1', 'db0'] },
      { c: 1, call: ['SELECT', '1'] },
      { c: 1, call: ['RPUSH', 'k1', 'db1'] },
      { c: 2, read: true },
      { c: 1, call: ['EXISTS', 'k1'] },
      { c: 1, call: ['SELECT', '0'] },
      { c: 1, call: ['LLEN', 'k1'] },
    ]);
  });

  it('a long timeout keeps the client waiting until data arrives', async () => {
    // Data comes after a pause: a timer that fired early (Node's timers stop at 2^31 ms) would have replied nil.
    await same([
      { c: 0, block: ['BLPOP', 'k', '100000000'] },
      { c: 1, block: ['BLMOVE', 'k2', 'd', 'left', 'left', '3000000.5'] },
      { c: 2, pause: 50 },
      { c: 2, call: ['RPUSH', 'k', 'v'] },
      { c: 2, call: ['RPUSH', 'k2', 'w'] },
      { c: 0, read: true },
      { c: 1, read: true },
    ]);
  });

  it('wakes clients only after a whole MULTI/EXEC, with what is left then', async () => {
    await same([
      { c: 0, block: ['BLPOP', 'k', '0'] },
      { c: 1, block: ['BLPOP', 'j', 'k', '0'] },
      { c: 2, call: ['MULTI'] },
      { c: 2, call: ['RPUSH', 'k', 'a', 'b', 'c'] },
      { c: 2, call: ['LPOP', 'k'] },
      { c: 2, call: ['RPUSH', 'j', 'x'] },
      { c: 2, call: ['EXEC'] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 2, call: ['LRANGE', 'k', '0', '-1'] },
      { c: 2, call: ['LRANGE', 'j', '0', '-1'] },
      { c: 0, block: ['BLPOP', 'gone', '0'] },
      { c: 2, call: ['MULTI'] },
      { c: 2, call: ['RPUSH', 'gone', 'a'] },
      { c: 2, call: ['DEL', 'gone'] },
      { c: 2, call: ['EXEC'] },
      { c: 2, call: ['RPUSH', 'gone', 'b'] },
      { c: 0, read: true },
    ]);
  });

  it("served clients' effects replayed on redis-server rebuild the dataset", async () => {
    const check = await RawClient.connect(servers.ours.port);
    try {
      const ops = units.flat().map((e) => e.argv[0].toUpperCase());
      for (const blocking of ['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP']) expect(ops).not.toContain(blocking);
      expect(ops).toEqual(expect.arrayContaining(['LPOP', 'RPOP', 'RPOPLPUSH', 'LMOVE']));
      expect(await replayedDigest(units)).toBe((await check.call('DEBUG', 'DIGEST')).raw.toString());
    } finally {
      check.close();
    }
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
