/**
 * MONITOR lines, byte for byte as redis-server's replicationFeedMonitors writes them:
 * `+<sec>.<usec> [<db> <client addr>] "arg" "arg"...` with sdscatrepr quoting.
 */

/** redis-server's sdscatrepr: a quoted string with C escapes, non-printables as \xHH. */
export function quoteRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += c >= 0x20 && c <= 0x7e ? s[i] : '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return out + '"';
}

/** One MONITOR line as a status reply; `source` is the client's address (or `lua`). */
export function monitorLine(db: number, source: string, argv: readonly string[]): string {
  // Microseconds since the epoch from the high-resolution clock.
  const usec = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(usec / 1e6);
  let line = `+${sec}.${String(usec - sec * 1e6).padStart(6, '0')} [${db} ${source}]`;
  for (const arg of argv) line += ' ' + quoteRepr(arg);
  return line + '\r\n';
}
