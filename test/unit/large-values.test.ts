/**
 * Long values as bytes, piece by piece: the parser hands long bulks over as Buffers,
 * `CommandTable.admit` keeps them only at a command's value slots, LargeString grows
 * in place and copies bytes another holder shares before changing them.
 */
import { describe, expect, it } from 'vitest';
import { LARGE_BULK, LargeCommand, RespParser } from '../../protocol/parser.js';
import { CommandTable, ValueCall } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import type { Client } from '../../engine/client.js';
import { LargeString, valueOfArg } from '../../engine/types/large-string.js';

const LONG = LARGE_BULK + 1;

function bulkCommand(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

describe('parser: bulks longer than LARGE_BULK', () => {
  const value = Buffer.alloc(LONG, 7);
  value[0] = 1;
  value[LONG - 1] = 2;

  it('come out as Buffers in a LargeCommand, whole or assembled across reads, the next command as strings', () => {
    const input = Buffer.concat([bulkCommand('SET', 'k', value), bulkCommand('GET', 'k')]);
    for (const step of [input.length, 65536, 1000]) {
      const parser = new RespParser();
      const out: (string[] | LargeCommand)[] = [];
      for (let i = 0; i < input.length; i += step) {
        parser.feed(Buffer.from(input.subarray(i, i + step)));
        for (let c = parser.next(); c !== null; c = parser.next()) out.push(c);
      }
      expect(out).toHaveLength(2);
      const [set, get] = out;
      expect(set).toBeInstanceOf(LargeCommand);
      const args = (set as LargeCommand).args;
      expect(args.slice(0, 2)).toEqual(['SET', 'k']);
      expect(Buffer.isBuffer(args[2]) && value.equals(args[2])).toBe(true);
      expect(get).toEqual(['GET', 'k']);
    }
  });

  it('a bulk that came in one read is copied out of it: the input buffer can be reused', () => {
    const parser = new RespParser();
    const input = bulkCommand('SET', 'k', value);
    parser.feed(input);
    const set = parser.next() as LargeCommand;
    input.fill(0);
    expect(value.equals(set.args[2] as Buffer)).toBe(true);
  });

  it('a bulk of exactly LARGE_BULK bytes is still a string', () => {
    const parser = new RespParser();
    parser.feed(bulkCommand('SET', 'k', 'x'.repeat(LARGE_BULK)));
    expect(parser.next()).toEqual(['SET', 'k', 'x'.repeat(LARGE_BULK)]);
  });
});

describe('CommandTable.admit', () => {
  const table = new CommandTable<Client>();
  table.register(engineCommands);
  const bytes = Buffer.alloc(LONG, 97);

  it('keeps bytes at value slots, and only there', () => {
    const set = table.admit(new LargeCommand(['SET', 'k', bytes, 'EX', '10']));
    expect(set).toBeInstanceOf(ValueCall);
    expect((set as ValueCall<Client>).args[2]).toBe(bytes);
    const mset = table.admit(new LargeCommand(['MSET', 'a', bytes, 'b', bytes])) as ValueCall<Client>;
    expect(mset.args[2]).toBe(bytes);
    expect(mset.args[4]).toBe(bytes);
  });

  it('turns long arguments elsewhere into strings, as every argument was before', () => {
    expect(table.admit(new LargeCommand(['RPUSH', 'k', bytes]))).toEqual(['RPUSH', 'k', 'a'.repeat(LONG)]);
    expect(table.admit(new LargeCommand(['SET', bytes, 'v']))).toEqual(['SET', 'a'.repeat(LONG), 'v']);
    expect(table.admit(new LargeCommand(['NOSUCH', bytes]))).toEqual(['NOSUCH', 'a'.repeat(LONG)]);
  });

  it('leaves arity errors to the usual error text', () => {
    expect(table.admit(new LargeCommand(['SETEX', 'k', bytes]))).toEqual(['SETEX', 'k', 'a'.repeat(LONG)]);
    const found = table.admit(new LargeCommand(['SETNX', 'k', bytes, 'x']));
    expect(found).toMatchObject({ error: "ERR wrong number of arguments for 'setnx' command" });
  });
});

describe('LargeString', () => {
  it('grows in place with room ahead, and pads SETRANGE past the end with zeros', () => {
    const s = LargeString.from('abc');
    for (let i = 0; i < 1000; i++) s.append('xyz');
    expect(s.length).toBe(3003);
    s.setRange(3010, Buffer.from('end'));
    expect(s.view().latin1Slice()).toBe('abc' + 'xyz'.repeat(1000) + '\0'.repeat(7) + 'end');
  });

  it('copies bytes it shares (a command line, a snapshot) before changing them', () => {
    const bytes = Buffer.from('shared bytes');
    const adopted = valueOfArg(bytes) as LargeString;
    adopted.setRange(0, 'SHARED');
    expect(bytes.latin1Slice()).toBe('shared bytes');
    expect(adopted.view().latin1Slice()).toBe('SHARED bytes');
    const taken = adopted.share();
    adopted.append('!');
    expect(taken.latin1Slice()).toBe('SHARED bytes');
    expect(adopted.view().latin1Slice()).toBe('SHARED bytes!');
  });
});
