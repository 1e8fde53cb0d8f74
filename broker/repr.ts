/** Quoting as redis-server's sdscatrepr, for MONITOR lines, config files and the AOF manifest. */

const NAMED_ESCAPES: Record<number, string> = { 0x5c: '\\\\', 0x22: '\\"', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x07: '\\a', 0x08: '\\b' };

/** Each byte as sdscatrepr writes it: C escapes, printables as themselves, the rest as \xHH. */
const ESCAPED: readonly string[] = Array.from({ length: 256 }, (_, c) => {
  if (NAMED_ESCAPES[c] !== undefined) return NAMED_ESCAPES[c];
  return c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
});

/** redis-server's sdscatrepr: a quoted string with C escapes, non-printables as \xHH. */
export function quoteRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += ESCAPED[s.charCodeAt(i)];
  return out + '"';
}

/**
 * `quoteRepr` as bytes, for an argument whose quoted text may outgrow a JS string
 * (up to four bytes per byte): a latin1 string or the bytes of a long value.
 */
export function quoteReprBytes(arg: string | Uint8Array): Buffer {
  const at = typeof arg === 'string' ? (i: number) => arg.charCodeAt(i) : (i: number) => arg[i];
  let size = 2;
  for (let i = 0; i < arg.length; i++) size += ESCAPED[at(i)].length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  out[p++] = 0x22;
  for (let i = 0; i < arg.length; i++) {
    const e = ESCAPED[at(i)];
    if (e.length === 1) out[p++] = e.charCodeAt(0);
    else p += out.latin1Write(e, p, e.length);
  }
  out[p] = 0x22;
  return out;
}
