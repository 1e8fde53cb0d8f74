/** Our strings as redis-server's C string formatting sees them (`%s`, `%.<max>s`, strcmp). */

/**
 * The part of `s` a C string function sees: everything before the first NUL byte,
 * and at most `max` bytes, as `%.<max>s` prints it.
 */
export function cString(s: string, max = Infinity): string {
  const nul = s.indexOf('\0');
  const end = Math.min(nul < 0 ? s.length : nul, max);
  return end === s.length ? s : s.slice(0, end);
}
