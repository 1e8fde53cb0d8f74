/**
 * redis-server's `strcasecmp(arg, word) == 0` for option names: ASCII letters compare
 * case-insensitively, every other byte exactly, and an embedded NUL ends the C string
 * (so `ex\0junk` is `ex`). `word` is given in lower case. Allocation-free: this runs
 * on every option of hot commands such as SET.
 */
export function isOption(arg: string, word: string): boolean {
  const n = word.length;
  if (arg.length < n || (arg.length > n && arg.charCodeAt(n) !== 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}
