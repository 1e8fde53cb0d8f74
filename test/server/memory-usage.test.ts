/**
 * The memory accounting against the heap it stands for: for each type, the sum of
 * MEMORY USAGE's figures (engine/memory.ts) over the keys made must stay within
 * FACTOR of what V8's heap and ArrayBuffer memory grew by when they were made,
 * measured after full collections in a child process (`node --expose-gc`, see
 * memory-usage-child.ts). README ("Memory accounting") states the same factor.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER_BIN } from '../harness/servers.js';

/** The bound: the estimate is at most twice, and at least half, what the heap grew by. */
const FACTOR = 2;

const CHILD = path.resolve(path.dirname(BROKER_BIN), '../test/server/memory-usage-child.js');

describe('memory accounting', () => {
  it(`stays within a factor of ${FACTOR} of the heap each type really takes`, () => {
    const run = spawnSync(process.execPath, ['--expose-gc', CHILD], { encoding: 'utf8', timeout: 240_000 });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as { name: string; heap: number; accounted: number }[];
    expect(results.length).toBe(13);
    for (const r of results) {
      const ratio = r.accounted / r.heap;
      console.log(`${r.name}: heap grew ${r.heap} bytes, accounted ${r.accounted} (x${ratio.toFixed(2)})`);
      expect(ratio, r.name).toBeGreaterThan(1 / FACTOR);
      expect(ratio, r.name).toBeLessThan(FACTOR);
    }
  }, 300_000);
});
