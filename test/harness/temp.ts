/**
 * Temp directories for tests, removed after each test file by the setup file
 * (test/harness/cleanup.ts). vitest's fork workers end without running process
 * 'exit' handlers, so directories left to those handlers piled up in /tmp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dirs: string[] = [];

/** A new directory under the system temp dir, named `<prefix><random>`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Removes every directory made so far (after the file's own hooks stopped its servers). */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      // A mount left behind (a failed tmpfs test) must not fail the suite: say so and go on.
      console.warn(`could not remove ${dir}: ${String(err)}`);
    }
  }
}
