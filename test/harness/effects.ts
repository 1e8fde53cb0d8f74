/**
 * Engine effects as tests record, compare and replay them: every argument as a latin1
 * string. Replaying what our broker propagated on a fresh server must rebuild the
 * dataset it holds (the same DEBUG DIGEST): that is how the effects suites check the
 * AOF's and the replicas' view of each command.
 */
import { beforeAll, beforeEach, expect } from 'vitest';
import type { Effect, EffectSink } from '../../engine/engine.js';
import type { DiffServers } from './diff.js';
import { RawClient } from './raw.js';
import { startRedis, type RunningServer } from './servers.js';

export interface TextEffect {
  db: number;
  argv: string[];
}

/** A unit of effects with long values (bytes) turned into strings, for tests with small values. */
export function effectsAsText(unit: readonly Effect[]): TextEffect[] {
  return unit.map((e) => ({ db: e.db, argv: e.argv.map((a) => (typeof a === 'string' ? a : a.latin1Slice())) }));
}

/** Every unit `engine` propagates from now on, as text, until `stop()`. */
export function recordEffects(engine: { onEffects(sink: EffectSink): () => void }): { units: TextEffect[][]; stop(): void } {
  const units: TextEffect[][] = [];
  const stop = engine.onEffects((unit) => units.push(effectsAsText(unit)));
  return { units, stop };
}

/**
 * The units each test of a describe block propagates: recorded from the broker of
 * `servers` (`suiteServers`, `diffSuite`) once started, emptied before each test,
 * after the hooks registered earlier (a `flushEach` FLUSHALL is not counted).
 */
export function effectsOfEachTest(servers: Pick<DiffServers, 'ours'>): TextEffect[][] {
  const units: TextEffect[][] = [];
  beforeAll(() => {
    servers.ours.broker.engine.onEffects((unit) => units.push(effectsAsText(unit)));
  });
  beforeEach(() => {
    units.length = 0;
  });
  return units;
}

export interface ReplayOptions {
  /** The fresh server's arguments (DEBUG DIGEST wants `--enable-debug-command yes`, the default). */
  args?: readonly string[];
  /** Starts the fresh server: a redis-server by default (`startBroker` for one of ours). */
  start?: (args: readonly string[]) => Promise<RunningServer>;
  /** Commands run before the effects: the settings they were made under (CONFIG SET ...). */
  setup?: readonly (readonly string[])[];
  /** Units of more than one effect go in MULTI/EXEC, as the AOF and the replicas get them. */
  multi?: boolean;
  /** An error a replayed effect may answer: a command propagated though it failed midway (its changes kept). */
  tolerated?: string;
}

/**
 * Replays the units on a fresh server, each effect in its db (the connection starts in
 * db 0), expects every one accepted (no error reply, but `tolerated`), and returns the
 * DEBUG DIGEST of the dataset they built. The server is stopped before it returns.
 */
export async function replayedDigest(units: readonly (readonly TextEffect[])[], options: ReplayOptions = {}): Promise<string> {
  const { args = ['--enable-debug-command', 'yes'], start = startRedis, setup = [], multi = false, tolerated } = options;
  const server = await start(args);
  const replay = await RawClient.connect(server.port);
  const accepted = (what: string, raw: Buffer, error = raw.toString('latin1').startsWith('-')): void => {
    const excused = tolerated !== undefined && raw.toString('latin1').startsWith(`-${tolerated}`);
    expect(error && !excused, `${what}: ${JSON.stringify(raw.toString('latin1'))}`).toBe(false);
  };
  try {
    for (const argv of setup) await replay.call(...argv);
    let db = 0;
    for (const unit of units) {
      const wrapped = multi && unit.length > 1;
      if (wrapped) await replay.call('MULTI');
      for (const e of unit) {
        if (e.db !== db) await replay.call('SELECT', String((db = e.db)));
        accepted(`effect ${JSON.stringify(e.argv)}`, (await replay.call(...e.argv)).raw);
      }
      if (wrapped) {
        // An error among EXEC's replies stands after a line end.
        const exec = (await replay.call('EXEC')).raw;
        accepted('EXEC', exec, exec.toString('latin1').includes('\r\n-'));
      }
    }
    return (await replay.call('DEBUG', 'DIGEST')).raw.toString();
  } finally {
    replay.close();
    await server.stop();
  }
}
