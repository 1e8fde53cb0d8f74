/**
 * docs/websocket-protocol.md against the code: every frame type and field, every
 * gateway error code and close code is documented there (as fastify's
 * test/internals/errors.test.js fixes its error list against its docs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { frameTypes } from '../../protocol/gateway-frames.js';
import { CLOSE_CODES, ERROR_CODES } from '../../broker/gateway/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = fs.readFileSync(path.join(ROOT, 'docs/websocket-protocol.md'), 'utf8');
const lines = doc.split('\n');

/** The rows of the frame tables, by type (a row without a type continues the one above). */
function documentedFields(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let type = '';
  for (const line of lines) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !line.startsWith('| ')) continue;
    if (/^`\w+`$/.test(cells[1])) type = cells[1].slice(1, -1);
    else if (cells[1] !== '') continue;
    for (const field of cells[2].matchAll(/`(\w+)`/g)) {
      if (!out.has(type)) out.set(type, new Set());
      out.get(type)!.add(field[1]);
    }
  }
  return out;
}

describe('docs/websocket-protocol.md', () => {
  const documented = documentedFields();

  it('documents every frame type with every field', () => {
    for (const [type, fields] of frameTypes()) {
      expect(documented.get(type), `frame ${type}`).toBeDefined();
      expect([...documented.get(type)!].sort(), `fields of ${type}`).toEqual([...fields].sort());
    }
  });

  it("documents every error code in the error codes' table", () => {
    for (const code of Object.keys(ERROR_CODES)) expect(lines.some((l) => l.startsWith(`| \`${code}\` |`)), code).toBe(true);
  });

  it('documents every close code', () => {
    for (const code of Object.values(CLOSE_CODES)) expect(lines.some((l) => l.startsWith(`| ${code} |`)), String(code)).toBe(true);
  });
});
