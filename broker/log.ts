/** The broker's logger (pino), with redis-server's log levels mapped onto pino's. */
import pino from 'pino';

const LEVELS: Record<string, pino.Level> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
};

export type Logger = pino.Logger;

export function createLogger(level: string, file: string): Logger {
  const destination = file === '' ? pino.destination(1) : pino.destination({ dest: file, mkdir: true });
  return pino({ level: LEVELS[level] ?? 'info', base: { pid: process.pid } }, destination);
}

export function setLogLevel(log: Logger, level: string): void {
  log.level = LEVELS[level] ?? 'info';
}
