/** C's strerror() text for the errno codes file I/O reports, as redis-server prints them. */
const MESSAGES: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EIO: 'Input/output error',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
  EBADF: 'Bad file descriptor',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  EAGAIN: 'Resource temporarily unavailable',
  EINTR: 'Interrupted system call',
};

/** The strerror text of a Node file-system error (its `code`), else its message. */
export function strerror(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== undefined && MESSAGES[e.code] !== undefined) return MESSAGES[e.code];
  return e instanceof Error ? e.message : String(err);
}
