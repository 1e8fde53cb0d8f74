/**
 * The server surface tools touch, against redis-server: MODULE (empty, loading
 * refused), LOLWUT's art for each version (byte for byte where redis-server draws
 * without randomness, the same shape elsewhere), and COMMAND INFO/DOCS for every
 * command and subcommand this broker implements, so commands added later are covered
 * by this test without touching it.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite } from '../harness/diff.js';

describe.skipIf(!hasRedisServer())('server surface vs redis-server', () => {
  const { p } = diffSuite();

  it('MODULE lists no modules and refuses to load or unload', async () => {
    for (const argv of [
      ['MODULE', 'LIST'],
      ['MODULE', 'HELP'],
      ['MODULE', 'LOAD', '/nonexistent/module.so'],
      ['MODULE', 'LOAD', '/nonexistent/module.so', 'a', 'b'],
      ['MODULE', 'LOADEX', '/nonexistent/module.so', 'CONFIG', 'a', 'b'],
      ['MODULE', 'UNLOAD', 'nosuch'],
      ['MODULE', 'LOAD'],
      ['MODULE', 'LIST', 'x'],
      ['MODULE', 'NOSUCH'],
      ['MODULE'],
    ]) {
      await p.same(...argv);
    }
    await p.inResp3(() => p.same('MODULE', 'LIST'));
  });

  it("LOLWUT answers 7.0's version line, and VERSION 5's rows drawn without randomness byte for byte", async () => {
    for (const argv of [
      ['LOLWUT'],
      ['LOLWUT', '10', '20'],
      ['LOLWUT', 'VERSION', '7'],
      ['LOLWUT', 'VERSION', '9'],
      ['LOLWUT', 'VERSION', '-1'],
      ['LOLWUT', 'VERSION', 'x'],
      ['LOLWUT', 'VERSION'],
      // Schotter's first two rows of squares are neither rotated nor moved.
      ['LOLWUT', 'VERSION', '5', '1', '1', '1'],
      ['LOLWUT', 'VERSION', '5', '3', '2', '2'],
      ['LOLWUT', 'VERSION', '5', '66', '8', '2'],
      ['LOLWUT', 'VERSION', '5', '100', '3', '1'],
      ['LOLWUT', 'VERSION', '5', '0', '-5', '0'],
      ['LOLWUT', 'VERSION', '5', 'x'],
      ['LOLWUT', 'VERSION', '5', '10', 'x'],
      ['LOLWUT', 'VERSION', '6', '10', 'x'],
      ['LOLWUT', 'VERSION', '4'],
    ]) {
      await p.same(...argv);
    }
    await p.inResp3(() => p.same('LOLWUT', 'VERSION', '5', '20', '4', '1'));
  });

  it('LOLWUT VERSION 5 and 6 draw art of the same shape as redis-server', async () => {
    for (const argv of [
      ['LOLWUT', 'VERSION', '5'],
      ['LOLWUT', 'VERSION', '5', '40', '5', '9'],
      ['LOLWUT', 'VERSION', '6'],
      ['LOLWUT', 'VERSION', '6', '33', '7'],
      ['LOLWUT', 'VERSION', '5.9'],
    ]) {
      const { ours, ref } = await p.both(...argv);
      // Pixels per line: braille characters are 3 bytes each, VERSION 6's colour escapes vary in length.
      const shape = (v: unknown): number[] => String(v).split('\n').map((line) => line.replace(/\x1b\[[0-9;]*m/g, '').length);
      expect(shape(ours.value), argv.join(' ')).toEqual(shape(ref.value));
      const text = (v: unknown): string[] => String(v).split('\n').slice(-3);
      expect(text(ours.value), argv.join(' ')).toEqual(text(ref.value));
    }
  });

  it('COMMAND INFO and DOCS of every implemented command and subcommand are redis-server 7.0 byte for byte', async () => {
    const names = (await p.ours.call('COMMAND', 'LIST')).value as string[];
    const known = new Set((await p.ref.call('COMMAND', 'LIST')).value as string[]);
    expect(names.length).toBeGreaterThan(100);
    for (const name of names) {
      // Commands redis-server 7.0 lacks are the broker's own; containers list only the implemented subcommands.
      if (!known.has(name)) continue;
      const { ours } = await p.both('COMMAND', 'INFO', name);
      const subcommands = ((ours.value as unknown[][])[0][9] as unknown[]).length;
      if (subcommands > 0) continue;
      await p.same('COMMAND', 'INFO', name);
      await p.same('COMMAND', 'DOCS', name);
    }
  });

  it('movablekeys marks the same commands', async () => {
    const movable = async (c: typeof p.ours): Promise<Set<string>> => {
      const all = (await c.call('COMMAND')).value as unknown[][];
      const out = new Set<string>();
      for (const entry of all) if ((entry[2] as string[]).includes('movablekeys')) out.add(entry[0] as string);
      return out;
    };
    const ours = await movable(p.ours);
    const ref = await movable(p.ref);
    const implemented = new Set((await p.ours.call('COMMAND', 'LIST')).value as string[]);
    expect([...ours].sort()).toEqual([...ref].filter((n) => implemented.has(n)).sort());
  });
});

describe.skipIf(!hasRedisServer())('MODULE and DEBUG enabled vs redis-server', () => {
  const args = ['--enable-module-command', 'yes', '--enable-debug-command', 'yes'];
  const { p } = diffSuite({ ours: args, ref: args });

  it('a load fails as a missing library does, an unload finds no module', async () => {
    await p.same('MODULE', 'LOAD', '/nonexistent/module.so');
    await p.same('MODULE', 'LOADEX', '/nonexistent/module.so', 'ARGS', 'x');
    await p.same('MODULE', 'UNLOAD', 'nosuch');
    await p.same('CONFIG', 'GET', 'enable-module-command');
  });

  it('LATENCY RESET counts the event series it reset', async () => {
    await p.same('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    await p.same('DEBUG', 'SLEEP', '0.01');
    await p.same('DEBUG', 'SLEEP', '0.01');
    await p.same('LATENCY', 'RESET', 'nosuch');
    await p.same('LATENCY', 'RESET', 'command', 'command', 'nosuch');
    await p.same('DEBUG', 'SLEEP', '0.01');
    await p.same('LATENCY', 'RESET');
    await p.same('LATENCY', 'RESET');
    await p.same('LATENCY', 'LATEST');
    await p.same('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
