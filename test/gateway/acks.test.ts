/**
 * The gateway's ack batching (broker/gateway/acks.ts): the acks given in one turn
 * go as one XACK per stream and group, through the command path (commandstats count
 * it); a batch that fails is sent again frame by frame, each frame getting its own
 * answer; `afterAcks` waits for the acks given before it. The end of the turn is
 * played by the test.
 */
import { describe, expect, it } from 'vitest';
import { AckBatcher } from '../../broker/gateway/acks.js';
import { GatewayStats } from '../../broker/gateway/stats.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';

describe('AckBatcher', () => {
  const server = suiteBroker();
  const c = suiteClient(server);

  /** A batcher whose turn ends when the test says. */
  function batcher(): { acks: AckBatcher; stats: GatewayStats; endTurn: () => void } {
    const stats = new GatewayStats();
    const turns: (() => void)[] = [];
    const acks = new AckBatcher(server.broker, stats, (fn) => turns.push(fn));
    return { acks, stats, endTurn: () => turns.splice(0).forEach((fn) => fn()) };
  }

  async function pendingIds(stream: string): Promise<string[]> {
    const reply = (await c.call('XPENDING', stream, 'g', '-', '+', '100')).value as [string][];
    return reply.map((p) => String(p[0]));
  }

  async function xackCalls(): Promise<number> {
    const info = String((await c.call('INFO', 'commandstats')).value);
    return Number(/cmdstat_xack:calls=(\d+)/.exec(info)?.[1] ?? 0);
  }

  /** Whether the callbacks given have all run (the link answers after a microtask or two). */
  const settled = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  it('sends the acks of one turn as one XACK per stream and group', async () => {
    for (let i = 1; i <= 4; i++) await c.call('XADD', 'batched', `${i}-0`, 'f', 'v');
    await c.call('XGROUP', 'CREATE', 'batched', 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'batched', '>');
    await c.call('CONFIG', 'RESETSTAT');
    const { acks, stats, endTurn } = batcher();
    const answers: (string | null)[] = [];
    acks.ack('batched', 'g', ['1-0', '2-0'], (e) => answers.push(e));
    acks.ack('batched', 'g', ['3-0'], (e) => answers.push(e));
    let synced = false;
    acks.afterAcks(() => (synced = true));
    expect(synced).toBe(false);
    endTurn();
    await settled();
    expect(answers).toEqual([null, null]);
    expect(synced).toBe(true);
    expect(stats.acked).toBe(3);
    expect(await xackCalls()).toBe(1);
    expect(await pendingIds('batched')).toEqual(['4-0']);
    acks.close();
  });

  it('sends a failed batch again frame by frame: each frame gets its own answer', async () => {
    for (let i = 1; i <= 2; i++) await c.call('XADD', 'failing', `${i}-0`, 'f', 'v');
    await c.call('XGROUP', 'CREATE', 'failing', 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'failing', '>');
    const { acks, stats, endTurn } = batcher();
    const answers = new Map<string, string | null>();
    acks.ack('failing', 'g', ['1-0'], (e) => answers.set('good', e));
    acks.ack('failing', 'g', ['not-an-id'], (e) => answers.set('bad', e));
    // XACK of a group that does not exist answers 0, as in Redis.
    acks.ack('failing', 'nogroup', ['2-0'], (e) => answers.set('nogroup', e));
    endTurn();
    await settled();
    const own = ((await c.call('XACK', 'failing', 'g', 'not-an-id')).value as { error: string }).error;
    expect(own).toMatch(/^ERR/);
    expect(Object.fromEntries(answers)).toEqual({ good: null, bad: own, nogroup: null });
    expect(stats.acked).toBe(1);
    expect(await pendingIds('failing')).toEqual(['2-0']);
    acks.close();
  });

  it('sends what waits at once when asked, before the end of the turn', async () => {
    await c.call('XADD', 'now', '1-0', 'f', 'v');
    await c.call('XGROUP', 'CREATE', 'now', 'g', '0');
    await c.call('XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'now', '>');
    const { acks } = batcher();
    acks.ack('now', 'g', ['1-0'], () => undefined);
    acks.flushNow();
    expect(await pendingIds('now')).toEqual([]);
    acks.close();
  });

  it('answers at once when no ack waits', () => {
    const { acks } = batcher();
    let synced = false;
    acks.afterAcks(() => (synced = true));
    expect(synced).toBe(true);
  });
});
