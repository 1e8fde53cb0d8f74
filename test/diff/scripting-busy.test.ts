/**
 * Long scripts against redis-server: past busy-reply-threshold other clients get
 * -BUSY (the SCRIPT or FUNCTION wording), commands flagged allow_busy still run,
 * SCRIPT KILL and FUNCTION KILL stop a script that wrote nothing (each refusing the
 * other kind), and one that wrote is -UNKILLABLE and runs to its end. No timing is
 * asserted: the tests wait until the server answers -BUSY.
 */
import { describe, expect, it } from 'vitest';
import { show, suiteServers } from '../harness/diff.js';
import { RawClient, type RawReply } from '../harness/raw.js';
import { hasRedisServer } from '../harness/servers.js';

const SPIN = 'local i = 0 while true do i = i + 1 end';
const LIB = `#!lua name=spin\nredis.register_function('spin', function() ${SPIN} end)`;

/** Sends a command whose reply comes later. */
function later(c: RawClient, ...argv: string[]): Promise<RawReply> {
  return c.call(...argv);
}

/** PINGs until the server says it is busy; returns that reply. */
async function untilBusy(c: RawClient): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const reply = show((await c.call('PING')).raw);
    if (reply.includes('BUSY')) return reply;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server never became busy');
}

describe.skipIf(!hasRedisServer())('long scripts vs redis-server', () => {
  const servers = suiteServers({ ours: ['--busy-reply-threshold', '50'], ref: ['--busy-reply-threshold', '50'] });

  /** Runs `scenario` on each server with a script connection and an admin connection; returns what it saw, per server. */
  async function onBoth(scenario: (runner: RawClient, admin: RawClient) => Promise<string[]>): Promise<void> {
    const seen: string[][] = [];
    for (const port of [servers.ours.port, servers.ref.port]) {
      const runner = await RawClient.connect(port);
      const admin = await RawClient.connect(port);
      try {
        seen.push(await scenario(runner, admin));
      } finally {
        runner.close();
        admin.close();
      }
    }
    expect(seen[0]).toEqual(seen[1]);
  }

  it('an EVAL script: -BUSY for others, FUNCTION KILL refused, SCRIPT KILL stops it', async () => {
    await onBoth(async (runner, admin) => {
      const reply = later(runner, 'EVAL', SPIN, '0');
      const busy = await untilBusy(admin);
      const get = show((await admin.call('GET', 'k')).raw);
      const functionKill = show((await admin.call('FUNCTION', 'KILL')).raw);
      const kill = show((await admin.call('SCRIPT', 'KILL')).raw);
      const killed = show((await reply).raw);
      const after = show((await runner.call('PING')).raw);
      return [busy, get, functionKill, kill, killed, after];
    });
  });

  it('a function: -BUSY in its wording, FUNCTION STATS shows it, SCRIPT KILL refused, FUNCTION KILL stops it', async () => {
    await onBoth(async (runner, admin) => {
      await admin.call('FUNCTION', 'LOAD', 'REPLACE', LIB);
      const reply = later(runner, 'FCALL', 'spin', '0');
      const busy = await untilBusy(admin);
      const stats = show((await admin.call('FUNCTION', 'STATS')).raw).replace(/duration_ms\\r\\n:\d+/, 'duration_ms:?');
      const scriptKill = show((await admin.call('SCRIPT', 'KILL')).raw);
      const kill = show((await admin.call('FUNCTION', 'KILL')).raw);
      const killed = show((await reply).raw);
      return [busy, stats, scriptKill, kill, killed];
    });
  });

  it('a script that wrote is unkillable and runs to its end; its write is there', async () => {
    await onBoth(async (runner, admin) => {
      const reply = later(runner, 'EVAL', "redis.call('SET', 'w', 'v') local i = 0 while i < 20000000 do i = i + 1 end return i", '0');
      const busy = await untilBusy(admin);
      const kill = show((await admin.call('SCRIPT', 'KILL')).raw);
      const done = show((await reply).raw);
      const value = show((await admin.call('GET', 'w')).raw);
      await admin.call('DEL', 'w');
      return [busy, kill, done, value];
    });
  });

  it('SCRIPT KILL and FUNCTION KILL with nothing running', async () => {
    await onBoth(async (_, admin) => [show((await admin.call('SCRIPT', 'KILL')).raw), show((await admin.call('FUNCTION', 'KILL')).raw)]);
  });
});
