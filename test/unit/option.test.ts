import { describe, expect, it } from 'vitest';
import { isOption } from '../../engine/util/option.js';

describe('isOption (strcasecmp on option names)', () => {
  it('ignores ASCII case only', () => {
    expect(isOption('EX', 'ex')).toBe(true);
    expect(isOption('eX', 'ex')).toBe(true);
    expect(isOption('\xc5x', 'ex')).toBe(false);
  });

  it('compares non-letters exactly', () => {
    // A bit trick (c | 0x20) would take CR for '-' and '\x1e' for '~'.
    expect(isOption('\r', '-')).toBe(false);
    expect(isOption('\x5e', '~')).toBe(false);
    expect(isOption('~', '~')).toBe(true);
  });

  it('stops at a NUL as a C string does, and needs the whole word', () => {
    expect(isOption('ex\0junk', 'ex')).toBe(true);
    expect(isOption('exx', 'ex')).toBe(false);
    expect(isOption('e', 'ex')).toBe(false);
    expect(isOption('', 'ex')).toBe(false);
  });
});
