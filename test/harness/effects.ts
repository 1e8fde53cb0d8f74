/** Engine effects as tests compare and replay them: every argument as a latin1 string. */
import type { Effect } from '../../engine/engine.js';

export interface TextEffect {
  db: number;
  argv: string[];
}

/** A unit of effects with long values (bytes) turned into strings, for tests with small values. */
export function effectsAsText(unit: readonly Effect[]): TextEffect[] {
  return unit.map((e) => ({ db: e.db, argv: e.argv.map((a) => (typeof a === 'string' ? a : a.latin1Slice())) }));
}
