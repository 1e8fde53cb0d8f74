/**
 * The broker's logger (pino), with redis-server's levels and two forms of line:
 * - `human`, redis-server's own (`pid:M 06 Dec 2026 13:44:28.123 * Ready to accept
 *   connections`): the level as redis-server's mark (`.` debug, `*` notice, `#` warning
 *   and worse), the role as `M` (leader) or `S` (follower); a line's fields follow its
 *   message as JSON, an error's stack on the lines below;
 * - `json`, one object a line for machines: `level` by name (debug, notice, warning,
 *   error, fatal), `time` in ISO 8601, `pid`, `msg` and the line's fields.
 * `log-format auto` (the default) is human on a terminal and JSON otherwise.
 *
 * Differs from redis-server: `verbose` lines are pino's debug ones (`loglevel verbose`
 * shows what `debug` shows); errors a client never caused are `error`/`fatal`, not `#`
 * warnings only. A line below the level costs one comparison (pino's no-op methods); the
 * human form parses pino's JSON again, only for lines written.
 */
import pino from 'pino';

/** redis-server's `loglevel` values onto pino's levels. */
const LEVELS: Record<string, pino.Level> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
};

/** pino's level labels as the log says them (redis-server's names where it has one). */
const LEVEL_NAMES: Record<string, string> = {
  trace: 'debug',
  debug: 'debug',
  info: 'notice',
  warn: 'warning',
  error: 'error',
  fatal: 'fatal',
};

/** redis-server's level marks (serverLogRaw's ".-*#"), by the names above. */
const LEVEL_MARKS: Record<string, string> = { debug: '.', notice: '*', warning: '#', error: '#', fatal: '#' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime's "%d %b %Y %H:%M:%S." plus milliseconds, in local time, as redis-server's log lines. */
export function formatLogTime(time: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(time.getDate())} ${MONTHS[time.getMonth()]} ${time.getFullYear()} ` +
    `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`
  );
}

/** One of pino's JSON lines as redis-server writes it (`role`: M or S). */
export function humanLine(json: string, role: string): string {
  const { level, time, pid, msg, err, ...fields } = JSON.parse(json) as {
    level: string;
    time: string;
    pid: number;
    msg?: string;
    err?: { stack?: string; message?: string };
  } & Record<string, unknown>;
  let line = `${pid}:${role} ${formatLogTime(new Date(time))} ${LEVEL_MARKS[level] ?? '*'} ${msg ?? ''}`;
  if (Object.keys(fields).length > 0) line += ` ${JSON.stringify(fields)}`;
  if (err !== undefined) line += `\n${(err.stack ?? err.message ?? '').replace(/^/gm, '    ')}`;
  return `${line}\n`;
}

export type Logger = pino.Logger;

export interface LogOptions {
  /** `loglevel`. */
  level: string;
  /** `logfile`: '' for standard output. */
  file: string;
  /** `log-format`: auto, human or json. */
  format: string;
  /** The role mark of human lines, asked at each line: `M` leader, `S` follower. */
  role: () => string;
}

export function createLogger({ level, file, format, role }: LogOptions): Logger {
  const destination = file === '' ? pino.destination(1) : pino.destination({ dest: file, mkdir: true });
  const human = format === 'human' || (format === 'auto' && file === '' && process.stdout.isTTY === true);
  const options: pino.LoggerOptions = {
    level: LEVELS[level] ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: LEVEL_NAMES[label] ?? label }) },
  };
  if (!human) return pino(options, destination);
  const stream = {
    write: (json: string) => destination.write(humanLine(json, role())),
    flush: (done?: (err?: Error) => void) => destination.flush(done),
    flushSync: () => destination.flushSync(),
  };
  return pino(options, stream);
}

export function setLogLevel(log: Logger, level: string): void {
  log.level = LEVELS[level] ?? 'info';
}
