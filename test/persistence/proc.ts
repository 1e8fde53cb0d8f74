/**
 * Brokers as real processes over one data directory, for the persistence suites:
 * start one with the AOF on, kill it with SIGKILL, start the next on the same files.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { RawClient, type RawReply } from '../harness/raw.js';
import { tempDir as harnessTempDir } from '../harness/temp.js';
import { BROKER_BIN, spawnBroker, type RunningServer } from '../harness/servers.js';

export type Spawned = RunningServer & { child: ChildProcess; output: () => string };

/** A fresh temp directory for one test's files (removed when the test file is done). */
export function tempDir(name: string): string {
  return harnessTempDir(`broker-${name}-`);
}

/** A broker process with the AOF on in `dir`; its log is kept for assertions. */
export async function startAof(dir: string, args: readonly string[] = [], options: { loaded?: boolean } = {}): Promise<Spawned> {
  return spawnBroker(['--dir', dir, '--appendonly', 'yes', '--enable-debug-command', 'yes', ...args], options);
}

/** SIGKILL, and wait until the process is gone. */
export async function kill9(server: Spawned): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Runs the broker binary to completion (a start that must fail, or `check-aof`). */
export function runBroker(args: readonly string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [BROKER_BIN, ...args], { encoding: 'latin1', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export async function digest(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const v = (await c.call('DEBUG', 'DIGEST')).value as { simple: string } | string;
    return typeof v === 'string' ? v : v.simple;
  } finally {
    c.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A field of an INFO reply ('' when absent). */
export function infoField(info: string, name: string): string {
  return new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(info)?.[1] ?? '';
}

/** What the process printed, once it includes `text` (its log arrives apart from its replies). */
export async function outputWith(server: Spawned, text: string): Promise<string> {
  for (let i = 0; i < 250 && !server.output().includes(text); i++) await sleep(20);
  return server.output();
}

/**
 * How many times the server has taken `command` (lower case, as in cmdstat_): the
 * calls it ran plus the ones it rejected (-MISCONF, ...), from INFO commandstats.
 */
export async function commandsTaken(observer: RawClient, command: string): Promise<number> {
  const info = (await observer.call('INFO', 'commandstats')).value as string;
  const line = new RegExp(`\\r\\ncmdstat_${command}:calls=(\\d+),.*rejected_calls=(\\d+),`).exec(info);
  return line === null ? 0 : Number(line[1]) + Number(line[2]);
}

/**
 * Waits until the server has taken each command as many times as `counts` says
 * (commandsTaken, polled on `observer`, a connection whose replies are never held),
 * then makes one more round trip on `observer`. Any reply the server did not hold
 * was then written before that round trip's reply, and has reached this process:
 * "it has not arrived" now means "it is held", however slow the machine, where a
 * fixed sleep would let a reply that is merely late look held.
 */
export async function untilTaken(observer: RawClient, counts: Record<string, number>): Promise<void> {
  for (let i = 0; ; i++) {
    const taken = await Promise.all(Object.keys(counts).map((command) => commandsTaken(observer, command)));
    if (Object.values(counts).every((n, j) => taken[j] >= n)) break;
    if (i === 3000) throw new Error(`the server never took ${JSON.stringify(counts)} (it took ${JSON.stringify(taken)})`);
    await sleep(10);
  }
  await observer.call('INFO', 'server');
}

/**
 * The reply to the command just written on `c`, and whether the server holds it.
 * Waits until the server has taken `command` `taken` times in all (untilTaken), then
 * until the reply arrives or `holding` (asked on `observer`) reports the state in
 * which the server holds replies, and one more round trip: a reply that has not
 * arrived then is held. Not arrived alone proves nothing: under `always` every
 * write's reply waits for its fsync, which takes a while on a loaded machine.
 * `reply` resolves when it is released.
 */
export async function replyOrHeld(
  c: RawClient,
  observer: RawClient,
  command: string,
  taken: number,
  holding: (observer: RawClient) => Promise<boolean>,
): Promise<{ reply: Promise<RawReply>; held: boolean }> {
  const reply = c.read(60_000);
  const state = watch(reply);
  await untilTaken(observer, { [command]: taken });
  for (let i = 0; !state.arrived; i++) {
    if (await holding(observer)) {
      await observer.call('INFO', 'server');
      return { reply, held: !state.arrived };
    }
    if (i === 3000) throw new Error(`no reply to ${command}, and the server is not in the state that holds replies`);
    await sleep(10);
  }
  return { reply, held: false };
}

/** Whether `reply` has arrived, as it stands. */
export function watch(reply: Promise<unknown>): { arrived: boolean } {
  const state = { arrived: false };
  void reply.then(
    () => (state.arrived = true),
    () => undefined,
  );
  return state;
}
