/**
 * The fdatasync of the AOF's files (incremental files, the rewrite's base, the
 * manifest), with the test hook DEBUG AOF-FSYNC-FAIL: the next `count` of them to
 * start report EIO, as a disk that lost the writes would. The fdatasync still runs,
 * so a failure arrives when a real one would.
 */
import fs from 'node:fs';

export class FsyncFaults {
  private left = 0;

  /** The next `count` fdatasyncs fail (0: none). */
  inject(count: number): void {
    this.left = Math.max(0, count);
  }

  /** fdatasync(fd) off the event loop. */
  datasync(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void {
    const injected = this.injected();
    fs.fdatasync(fd, (err) => done(err ?? injected));
  }

  /** The same, as a promise (rejects with the error). */
  readonly sync = (fd: number): Promise<void> =>
    new Promise((resolve, reject) => this.datasync(fd, (err) => (err === null ? resolve() : reject(err))));

  private injected(): NodeJS.ErrnoException | null {
    if (this.left === 0) return null;
    this.left--;
    return Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
  }
}
