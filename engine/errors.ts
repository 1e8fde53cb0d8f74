/** Error replies shared by many commands, with redis-server's exact text. */
export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SYNTAX = 'ERR syntax error';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const NO_SUCH_KEY = 'ERR no such key';
export const OUT_OF_RANGE = 'ERR index out of range';
export const INVALID_EXPIRE = (command: string): string => `ERR invalid expire time in '${command}' command`;
export const DB_INDEX_OUT_OF_RANGE = 'ERR DB index is out of range';
export const INVALID_CURSOR = 'ERR invalid cursor';
export const SAME_OBJECT = 'ERR source and destination objects are the same';
export const WRONG_ARGS = (command: string): string => `ERR wrong number of arguments for '${command}' command`;
export const DECREMENT_OVERFLOW = 'ERR decrement would overflow';
export const NAN_OR_INFINITY = 'ERR increment would produce NaN or Infinity';
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
/** getRangeLongFromObjectOrReply's error for an integer outside [min, max] (sic: "must between"). */
export const VALUE_OUT_OF_RANGE = (min: number | bigint, max: number | bigint): string =>
  `ERR value is out of range, value must between ${min} and ${max}`;
/** getPositiveLongFromObjectOrReply's default error, for a bad or negative count (LPOP, SPOP...). */
export const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
/** LMPOP/ZMPOP and their blocking forms: a numkeys or COUNT below 1 (or not a number). */
export const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
export const COUNT_NOT_POSITIVE = 'ERR count should be greater than 0';
/** This broker's own: an argument that is no value (a key, an element) longer than a JS string can be. */
export const ARGUMENT_TOO_LONG = (index: number, length: number, max: number): string =>
  `ERR argument #${index} is too long (${length} bytes) for this broker: only a value can exceed ${max} bytes`;
