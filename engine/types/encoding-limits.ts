/**
 * The size rules that decide the encoding redis-server 7.0 gives a hash or a set
 * (hash-max-listpack-entries, hash-max-listpack-value, set-max-intset-entries). The
 * engine keeps its copy current from the config (`Engine.settings`); a value loaded
 * from a file or a DUMP payload is judged by the same rules, as redis-server does.
 */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
}

/** redis-server 7.0's defaults. */
export const DEFAULT_LIMITS: Readonly<EncodingLimits> = { hashMaxListpackEntries: 512, hashMaxListpackValue: 64, setMaxIntsetEntries: 512 };
