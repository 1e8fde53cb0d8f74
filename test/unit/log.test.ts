/** The log's two forms (broker/log.ts): redis-server's human lines and JSON lines with level names. */
import { describe, expect, it } from 'vitest';
import { formatLogTime, humanLine } from '../../broker/log.js';

describe('log lines', () => {
  it('writes human lines as redis-server: pid:role date.ms mark message', () => {
    const time = new Date(2026, 11, 6, 13, 44, 28, 123);
    expect(formatLogTime(time)).toBe('06 Dec 2026 13:44:28.123');
    const json = JSON.stringify({ level: 'notice', time: time.toISOString(), pid: 42, msg: 'Ready to accept connections tcp on 127.0.0.1:6379' });
    expect(humanLine(json, 'M')).toBe('42:M 06 Dec 2026 13:44:28.123 * Ready to accept connections tcp on 127.0.0.1:6379\n');
    const marks = ['debug', 'notice', 'warning', 'error', 'fatal'].map((level) => humanLine(JSON.stringify({ level, time: time.toISOString(), pid: 1, msg: 'x' }), 'S').split(' ')[5]);
    expect(marks).toEqual(['.', '*', '#', '#', '#']);
  });

  it('keeps a line\'s fields after its message, and an error\'s stack below it', () => {
    const json = JSON.stringify({ level: 'error', time: new Date().toISOString(), pid: 1, msg: 'Internal error', client: '127.0.0.1:5000', err: { message: 'boom', stack: 'Error: boom\n    at f' } });
    const line = humanLine(json, 'M');
    expect(line).toMatch(/# Internal error \{"client":"127.0.0.1:5000"\}\n {4}Error: boom\n {8}at f\n$/);
  });

});
