/**
 * The slow log (SLOWLOG): commands that ran for at least `slowlog-log-slower-than`
 * microseconds, newest first, at most `slowlog-max-len` of them. Entries keep
 * arguments trimmed as redis-server does, so a huge command cannot pin its memory.
 */
import type { Arg } from '../../engine/command.js';
import { isPacked, stringBytes } from '../../protocol/packed-string.js';

/** redis-server's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  time: number;
  /** Execution time in microseconds. */
  duration: number;
  argv: string[];
  /** The client's `ip:port` and name. */
  peer: string;
  name: string;
}

export class SlowLog {
  /** Newest first. */
  entries: SlowlogEntry[] = [];
  private nextId = 0;

  /** Adds an entry, dropping the oldest ones beyond `maxLen`. */
  push(argv: readonly Arg[], duration: number, peer: string, name: string, maxLen: number): void {
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration,
      argv: trimArgv(argv),
      peer,
      name,
    });
    this.trim(maxLen);
  }

  trim(maxLen: number): void {
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}

/**
 * At most 32 arguments, the last one standing for the rest ("... (N more arguments)"),
 * and strings over 128 bytes cut with "... (N more bytes)".
 */
function trimArgv(argv: readonly Arg[]): string[] {
  const count = Math.min(argv.length, MAX_ARGC);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (count !== argv.length && i === count - 1) {
      out.push(`... (${argv.length - count + 1} more arguments)`);
    } else {
      out.push(trimArg(argv[i]));
    }
  }
  return out;
}

/** An argument cut at 128 bytes with "... (N more bytes)", as the slow log keeps it. */
function trimArg(arg: Arg): string {
  if (arg.length <= MAX_STRING) return typeof arg === 'string' ? arg : arg.latin1Slice();
  // A packed argument (protocol/packed-string.ts) is cut from the bytes it stands for.
  const bytes = typeof arg === 'string' && isPacked(arg) ? stringBytes(arg) : arg;
  const head = typeof bytes === 'string' ? bytes.slice(0, MAX_STRING) : bytes.latin1Slice(0, MAX_STRING);
  return `${head}... (${bytes.length - MAX_STRING} more bytes)`;
}
