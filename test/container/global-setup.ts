/**
 * vitest global set-up of the `container` project (vitest.config.ts): runs
 * test/container/docker-env.sh `up` once per run, only when a container test is queued,
 * and hands the image's tag (or what is missing) to the test files; `down` at the end.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** The image, and the owner whose PID labels what the suites create (docker-env.sh `clean` keeps a live owner's). */
export type DockerSetup = { image: string; owner: string } | { missing: string };

declare module 'vitest' {
  export interface ProvidedContext {
    docker: DockerSetup;
  }
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'docker-env.sh');

/** Runs the script; stderr (its progress) goes to the terminal, stdout is returned. */
function script(...args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const owner = String(process.pid);
  const down = async (): Promise<void> => void (await script('down', owner));
  const up = await script('up', owner);
  const last = up.stdout.trim().split('\n').pop() ?? '';
  if (up.status === 0 && last.startsWith('image=')) project.provide('docker', { image: last.slice('image='.length), owner });
  else if (up.status === 3 && last.startsWith('missing=')) project.provide('docker', { missing: last.slice('missing='.length) });
  else {
    await down();
    throw new Error(`test/container/docker-env.sh up failed (exit ${up.status}): see its output above`);
  }
  return down;
}
