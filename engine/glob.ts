/**
 * Redis's glob matcher: a faithful port of redis-server 7.0's `stringmatchlen`
 * (util.c), shared by KEYS, SCAN MATCH, CONFIG GET and pub/sub patterns.
 *
 * Faithful means its quirks too, because users see them:
 * - `*` `?` `[...]` `[^...]` `[a-z]` (a reversed range `[z-a]` is swapped), and `\x`
 *   escapes outside and inside brackets; a trailing lone `\` matches itself.
 * - An unterminated `[` class ends at the end of the pattern, its last character
 *   counting as a member (`[ab` matches "a" and "b").
 * - Range bounds compare as signed C chars, so bytes above 127 sort below 0:
 *   `[a-\xff]` is the range -1..97 once swapped, matching "\xff", "0" and "a" but
 *   neither "b" nor "\x80".
 * - `nocase` lowers ASCII letters only (C locale `tolower`).
 * - Recursion deeper than 1000 stars gives up with no match, and a failed `*`
 *   stops earlier stars from trying longer matches (both from redis-server's
 *   fix for exponential patterns), so results and cost equal the reference's.
 *
 * Strings are latin1 (one char per byte). C reads one byte past either end (the
 * terminating NUL); `byteAt` returns 0 there to keep that behaviour exact.
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

/** Set when a `*` found no match at any offset: outer stars need not retry. */
let skipLongerMatches = false;

/** True when `s` matches the glob `pattern` (both latin1 strings). */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  skipLongerMatches = false;
  return matchFrom(pattern, 0, pattern.length, s, 0, s.length, nocase, 0);
}

function byteAt(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

/** A byte as C's (signed) `char` converted to int. */
function signedChar(b: number): number {
  return (b << 24) >> 24;
}

/** C-locale tolower on a (possibly negative) char value. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function matchFrom(
  pat: string,
  p: number,
  plen: number,
  str: string,
  s: number,
  slen: number,
  nocase: boolean,
  nesting: number,
): boolean {
  // Protection against abusive patterns.
  if (nesting > 1000) return false;

  while (plen > 0 && slen > 0) {
    const pc = pat.charCodeAt(p);
    if (pc === STAR) {
      while (plen > 0 && byteAt(pat, p + 1) === STAR) {
        p++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (matchFrom(pat, p + 1, plen - 1, str, s, slen, nocase, nesting + 1)) return true;
        if (skipLongerMatches) return false;
        s++;
        slen--;
      }
      // The rest of the pattern matches nowhere in the rest of the string, so a
      // longer match for an earlier star cannot help either.
      skipLongerMatches = true;
      return false;
    } else if (pc === QUESTION) {
      s++;
      slen--;
    } else if (pc === LBRACKET) {
      p++;
      plen--;
      const not = byteAt(pat, p) === CARET;
      if (not) {
        p++;
        plen--;
      }
      const sc = str.charCodeAt(s);
      let matched = false;
      for (;;) {
        const c0 = byteAt(pat, p);
        if (c0 === BACKSLASH && plen >= 2) {
          p++;
          plen--;
          if (pat.charCodeAt(p) === sc) matched = true;
        } else if (c0 === RBRACKET) {
          break;
        } else if (plen === 0) {
          // Unterminated class: step back onto its last character.
          p--;
          plen++;
          break;
        } else if (plen >= 3 && pat.charCodeAt(p + 1) === DASH) {
          let start = signedChar(c0);
          let end = signedChar(pat.charCodeAt(p + 2));
          let c = signedChar(sc);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          p += 2;
          plen -= 2;
          if (c >= start && c <= end) matched = true;
        } else if (nocase ? lower(c0) === lower(sc) : c0 === sc) {
          matched = true;
        }
        p++;
        plen--;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      s++;
      slen--;
    } else {
      if (pc === BACKSLASH && plen >= 2) {
        p++;
        plen--;
      }
      const a = pat.charCodeAt(p);
      const b = str.charCodeAt(s);
      if (nocase ? lower(a) !== lower(b) : a !== b) return false;
      s++;
      slen--;
    }
    p++;
    plen--;
    if (slen === 0) {
      while (byteAt(pat, p) === STAR) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}
