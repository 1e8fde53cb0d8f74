/**
 * FUNCTION LIST replies in a comparable order: redis-server lists libraries and each
 * library's functions in its dicts' order, which is no order a test can expect.
 */
import type { Decoded } from '../../protocol/decoder.js';

/** A FUNCTION LIST reply with libraries, and each library's functions, sorted by name. */
export function sortedFunctionList(value: Decoded): Decoded {
  if (!Array.isArray(value)) return value;
  const libraries = value.map((library) => {
    const fields = fieldsOf(library);
    const i = fields.findIndex((f) => f === 'functions');
    const functions = fields[i + 1];
    if (Array.isArray(functions)) fields[i + 1] = [...functions].sort(byName);
    return fields;
  });
  return libraries.sort(byName);
}

function byName(a: Decoded, b: Decoded): number {
  return JSON.stringify(fieldsOf(a)[1]).localeCompare(JSON.stringify(fieldsOf(b)[1]));
}

/** A map's fields as a flat array, whether it came as a RESP2 array or a RESP3 map. */
function fieldsOf(v: Decoded): Decoded[] {
  if (Array.isArray(v)) return [...v];
  if (v !== null && typeof v === 'object' && 'map' in v) return v.map.flat();
  return [v];
}
