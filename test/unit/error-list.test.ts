/**
 * The list of error replies (engine/errors.ts), fixed: every entry's exact text is
 * pinned here (a new or changed text fails until this table agrees), and every entry
 * a command can produce is produced against a reference redis-server 7.0 and against
 * our broker, whose replies must be the same bytes and carry that text. Entries
 * without `trigger` say why none is run.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '../../engine/errors.js';
import { show, suiteServers } from '../harness/diff.js';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';

type Name = keyof typeof errors;

interface Entry {
  /** The exact text; a function entry is called with `args`. */
  text: string;
  args?: readonly (string | number)[];
  /**
   * Commands on a fresh connection and an empty dataset; the last one's reply holds
   * the error (a queued command's error is inside EXEC's array).
   */
  trigger?: readonly (readonly string[])[];
  /** Commands run afterwards to restore server-wide state. */
  cleanup?: readonly (readonly string[])[];
  /** Why no command is run for it. */
  untriggered?: string;
}

const MAX_ID = '18446744073709551615-18446744073709551615';

const ENTRIES: Record<Name, Entry> = {
  // Shared
  WRONGTYPE: { text: 'WRONGTYPE Operation against a key holding the wrong kind of value', trigger: [['SET', 'k', 'v'], ['LPUSH', 'k', 'a']] },
  SYNTAX: { text: 'ERR syntax error', trigger: [['SET', 'k', 'v', 'NX', 'XX']] },
  NOT_INTEGER: { text: 'ERR value is not an integer or out of range', trigger: [['INCRBY', 'k', 'x']] },
  NOT_FLOAT: { text: 'ERR value is not a valid float', trigger: [['INCRBYFLOAT', 'k', 'x']] },
  OVERFLOW: { text: 'ERR increment or decrement would overflow', trigger: [['SET', 'k', '9223372036854775807'], ['INCR', 'k']] },
  NO_SUCH_KEY: { text: 'ERR no such key', trigger: [['RENAME', 'missing', 'x']] },
  OUT_OF_RANGE: { text: 'ERR index out of range', trigger: [['RPUSH', 'l', 'a'], ['LSET', 'l', '5', 'x']] },
  INVALID_EXPIRE: { text: "ERR invalid expire time in 'set' command", args: ['set'], trigger: [['SET', 'k', 'v', 'EX', '0']] },
  DB_INDEX_OUT_OF_RANGE: { text: 'ERR DB index is out of range', trigger: [['SELECT', '100']] },
  INVALID_CURSOR: { text: 'ERR invalid cursor', trigger: [['SCAN', 'x']] },
  SAME_OBJECT: { text: 'ERR source and destination objects are the same', trigger: [['SET', 'k', 'v'], ['MOVE', 'k', '0']] },
  WRONG_ARGS: { text: "ERR wrong number of arguments for 'get' command", args: ['get'], trigger: [['GET']] },
  DECREMENT_OVERFLOW: { text: 'ERR decrement would overflow', trigger: [['DECRBY', 'k', '-9223372036854775808']] },
  NAN_OR_INFINITY: { text: 'ERR increment would produce NaN or Infinity', trigger: [['SET', 'k', '1'], ['INCRBYFLOAT', 'k', 'inf']] },
  STRING_TOO_LONG: { text: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)', trigger: [['SETRANGE', 'k', '536870912', 'x']] },
  OFFSET_OUT_OF_RANGE: { text: 'ERR offset is out of range', trigger: [['SETRANGE', 'k', '-1', 'x']] },
  INT_OUT_OF_RANGE: { text: 'ERR value is out of range, value must between -2147483648 and 2147483647', trigger: [['SELECT', '9999999999']] },
  MUST_BE_POSITIVE: { text: 'ERR value is out of range, must be positive', trigger: [['RPUSH', 'l', 'a'], ['LPOP', 'l', '-1']] },
  NUMKEYS_NOT_POSITIVE: { text: 'ERR numkeys should be greater than 0', trigger: [['LMPOP', '0', 'l', 'LEFT']] },
  COUNT_NOT_POSITIVE: { text: 'ERR count should be greater than 0', trigger: [['LMPOP', '1', 'l', 'LEFT', 'COUNT', '0']] },
  TIMEOUT_NOT_FLOAT: { text: 'ERR timeout is not a float or out of range', trigger: [['BLPOP', 'l', 'x']] },
  TIMEOUT_NOT_INTEGER: { text: 'ERR timeout is not an integer or out of range', trigger: [['XREAD', 'BLOCK', 'x', 'STREAMS', 's', '0']] },
  TIMEOUT_NEGATIVE: { text: 'ERR timeout is negative', trigger: [['BLPOP', 'l', '-1']] },

  // Hashes and sets
  HASH_VALUE_NOT_INTEGER: { text: 'ERR hash value is not an integer', trigger: [['HSET', 'h', 'f', 'x'], ['HINCRBY', 'h', 'f', '1']] },
  HASH_VALUE_NOT_FLOAT: { text: 'ERR hash value is not a float', trigger: [['HSET', 'h', 'f', 'x'], ['HINCRBYFLOAT', 'h', 'f', '1']] },
  INCREMENT_NAN_OR_INFINITY: { text: 'ERR value is NaN or Infinity', trigger: [['HINCRBYFLOAT', 'h', 'f', 'inf']] },
  COUNT_OUT_OF_RANGE: {
    text: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    trigger: [['SRANDMEMBER', 's', '-9223372036854775808']],
  },
  VALUE_OUT_OF_RANGE: { text: 'ERR value is out of range', trigger: [['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES']] },
  SAMPLE_TOO_LARGE: { text: 'ERR count is out of range for this broker: a sample holds at most 16777216 elements', args: [16777216], untriggered: 'ours: redis-server builds the reply and dies' },
  NUMKEYS_ABOVE_ARGS: { text: "ERR Number of keys can't be greater than number of args", trigger: [['SINTERCARD', '2', 's']] },
  LIMIT_CANT_BE_NEGATIVE: { text: "ERR LIMIT can't be negative", trigger: [['SINTERCARD', '1', 's', 'LIMIT', '-1']] },

  // Bitmaps and HyperLogLogs
  BIT_OFFSET_INVALID: { text: 'ERR bit offset is not an integer or out of range', trigger: [['SETBIT', 'b', '4294967296', '1']] },
  BIT_VALUE_INVALID: { text: 'ERR bit is not an integer or out of range', trigger: [['SETBIT', 'b', '0', '2']] },
  BITPOS_BIT_INVALID: { text: 'ERR The bit argument must be 1 or 0.', trigger: [['BITPOS', 'b', '2']] },
  BITOP_NOT_ONE_KEY: { text: 'ERR BITOP NOT must be called with a single source key.', trigger: [['BITOP', 'NOT', 'd', 'a', 'b']] },
  BITFIELD_TYPE_INVALID: {
    text: 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
    trigger: [['BITFIELD', 'b', 'GET', 'u64', '0']],
  },
  BITFIELD_OVERFLOW_INVALID: { text: 'ERR Invalid OVERFLOW type specified', trigger: [['BITFIELD', 'b', 'OVERFLOW', 'x']] },
  BITFIELD_RO_GET_ONLY: { text: 'ERR BITFIELD_RO only supports the GET subcommand', trigger: [['BITFIELD_RO', 'b', 'SET', 'u8', '0', '1']] },
  HLL_NOT_HLL: { text: 'WRONGTYPE Key is not a valid HyperLogLog string value.', trigger: [['SET', 'h', 'x'], ['PFADD', 'h', 'a']] },
  HLL_CORRUPT: {
    text: 'INVALIDOBJ Corrupted HLL object detected',
    trigger: [['PFADD', 'h', 'a'], ['SETRANGE', 'h', '16', '\x7f'], ['PFCOUNT', 'h']],
  },
  PFDEBUG_NO_KEY: { text: 'ERR The specified key does not exist', trigger: [['PFDEBUG', 'ENCODING', 'h']] },
  PFDEBUG_NOT_SPARSE: { text: 'ERR HLL encoding is not sparse', trigger: [['PFADD', 'h', 'a'], ['PFDEBUG', 'TODENSE', 'h'], ['PFDEBUG', 'DECODE', 'h']] },
  PFDEBUG_UNKNOWN: { text: "ERR Unknown PFDEBUG subcommand 'x'", args: ['x'], trigger: [['PFADD', 'h', 'a'], ['PFDEBUG', 'x', 'h']] },

  // Sorted sets
  ZADD_XX_NX: { text: 'ERR XX and NX options at the same time are not compatible', trigger: [['ZADD', 'z', 'NX', 'XX', '1', 'a']] },
  ZADD_GT_LT_NX: { text: 'ERR GT, LT, and/or NX options at the same time are not compatible', trigger: [['ZADD', 'z', 'GT', 'LT', '1', 'a']] },
  ZADD_INCR_SINGLE_PAIR: { text: 'ERR INCR option supports a single increment-element pair', trigger: [['ZADD', 'z', 'INCR', '1', 'a', '2', 'b']] },
  ZSET_NAN_SCORE: { text: 'ERR resulting score is not a number (NaN)', trigger: [['ZADD', 'z', 'inf', 'a'], ['ZINCRBY', 'z', '-inf', 'a']] },
  ZSET_SCORE_RANGE_INVALID: { text: 'ERR min or max is not a float', trigger: [['ZCOUNT', 'z', 'x', '1']] },
  ZSET_LEX_RANGE_INVALID: { text: 'ERR min or max not valid string range item', trigger: [['ZLEXCOUNT', 'z', 'a', '+']] },
  ZSET_LIMIT_NEEDS_BY: {
    text: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    trigger: [['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1']],
  },
  ZSET_WITHSCORES_BYLEX: { text: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX', trigger: [['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES']] },
  ZSET_WEIGHT_NOT_FLOAT: { text: 'ERR weight value is not a float', trigger: [['ZUNION', '1', 'z', 'WEIGHTS', 'x']] },
  ZSET_INPUT_KEY_NEEDED: { text: "ERR at least 1 input key is needed for 'zunionstore' command", args: ['zunionstore'], trigger: [['ZUNIONSTORE', 'd', '0', 'z']] },

  // Dispatch and containers
  SUBCOMMAND_SYNTAX: {
    text: "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
    args: ['slowlog', 'GET'],
    trigger: [['SLOWLOG', 'GET', '1', '2']],
  },
  UNKNOWN_SUBCOMMAND: { text: "ERR unknown subcommand 'FOO'. Try OBJECT HELP.", args: ['object', 'FOO'], trigger: [['OBJECT', 'FOO', 'k']] },
  UNKNOWN_COMMAND: {
    text: "ERR unknown command 'FOO', with args beginning with: 'a' ",
    args: ['FOO', "'a' "],
    trigger: [['FOO', 'a']],
  },
  INTERNAL_ERROR: { text: "ERR internal error executing 'get'", args: ['get'], untriggered: 'ours: answers a handler that threw' },
  ARGUMENT_TOO_LONG: {
    text: 'ERR argument #1 is too long (536870889 bytes) for this broker: only a value can exceed 536870888 bytes',
    args: [1, 536870889, 536870888],
    untriggered: 'ours: a 512 MB key, tested in test/server/large-values.test.ts',
  },

  // Keys
  EXPIRE_UNSUPPORTED_OPTION: { text: 'ERR Unsupported option FOO', args: ['FOO'], trigger: [['SET', 'k', 'v'], ['EXPIRE', 'k', '10', 'FOO']] },
  EXPIRE_NX_AND_XX_GT_LT: {
    text: 'ERR NX and XX, GT or LT options at the same time are not compatible',
    trigger: [['SET', 'k', 'v'], ['EXPIRE', 'k', '10', 'NX', 'XX']],
  },
  EXPIRE_GT_AND_LT: { text: 'ERR GT and LT options at the same time are not compatible', trigger: [['SET', 'k', 'v'], ['EXPIRE', 'k', '10', 'GT', 'LT']] },
  INVALID_FIRST_DB: { text: 'ERR invalid first DB index', trigger: [['SWAPDB', 'x', '1']] },
  INVALID_SECOND_DB: { text: 'ERR invalid second DB index', trigger: [['SWAPDB', '0', 'x']] },
  OOM: {
    text: "OOM command not allowed when used memory > 'maxmemory'.",
    trigger: [['CONFIG', 'SET', 'maxmemory', '1'], ['SET', 'k', 'v']],
    cleanup: [['CONFIG', 'SET', 'maxmemory', '0']],
  },
  LFU_SELECTED: {
    text: 'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    trigger: [['SET', 'k', 'v'], ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'], ['OBJECT', 'IDLETIME', 'k']],
    cleanup: [['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']],
  },
  LFU_NOT_SELECTED: {
    text: 'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    trigger: [['SET', 'k', 'v'], ['OBJECT', 'FREQ', 'k']],
  },

  // Strings and lists
  LCS_NOT_STRINGS: { text: 'ERR The specified keys must contain string values', trigger: [['RPUSH', 'l', 'a'], ['LCS', 'l', 'l']] },
  LCS_IDX_AND_LEN: {
    text: 'ERR If you want both the length and indexes, please just use IDX.',
    trigger: [['SET', 'a', 'x'], ['SET', 'b', 'y'], ['LCS', 'a', 'b', 'IDX', 'LEN']],
  },
  LCS_TOO_LARGE: {
    text: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
    // A 12,000 x 12,000 table of 4-byte cells is over 512 MB: refused before any allocation.
    trigger: [['SET', 'a', 'x'.repeat(12_000)], ['SET', 'b', 'y'.repeat(12_000)], ['LCS', 'a', 'b']],
  },
  LCS_NO_MEMORY: { text: 'ERR Insufficient memory, failed allocating transient memory for LCS', untriggered: 'an allocation failure' },
  LPOS_RANK_ZERO: {
    text: "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    trigger: [['RPUSH', 'l', 'a'], ['LPOS', 'l', 'a', 'RANK', '0']],
  },
  LPOS_COUNT_NEGATIVE: { text: "ERR COUNT can't be negative", trigger: [['RPUSH', 'l', 'a'], ['LPOS', 'l', 'a', 'COUNT', '-1']] },
  LPOS_MAXLEN_NEGATIVE: { text: "ERR MAXLEN can't be negative", trigger: [['RPUSH', 'l', 'a'], ['LPOS', 'l', 'a', 'MAXLEN', '-1']] },

  // Geo and SORT
  GEO_INVALID_LONLAT: {
    text: 'ERR invalid longitude,latitude pair 181.000000,-0.500000',
    args: ['181.000000', '-0.500000'],
    trigger: [['GEOADD', 'g', '181', '-0.5', 'm']],
  },
  GEO_UNSUPPORTED_UNIT: { text: 'ERR unsupported unit provided. please use M, KM, FT, MI', trigger: [['GEODIST', 'g', 'a', 'b', 'yd']] },
  GEO_NEED_NUMERIC_RADIUS: { text: 'ERR need numeric radius', trigger: [['GEORADIUS', 'g', '0', '0', 'x', 'm']] },
  GEO_NEED_NUMERIC_WIDTH: { text: 'ERR need numeric width', trigger: [['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', 'x', '1', 'm']] },
  GEO_NEED_NUMERIC_HEIGHT: { text: 'ERR need numeric height', trigger: [['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', '1', 'x', 'm']] },
  GEO_RADIUS_NEGATIVE: { text: 'ERR radius cannot be negative', trigger: [['GEORADIUS', 'g', '0', '0', '-1', 'm']] },
  GEO_BOX_NEGATIVE: { text: 'ERR height or width cannot be negative', trigger: [['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', '1', '-1', 'm']] },
  GEO_MEMBER_UNDECODABLE: { text: 'ERR could not decode requested zset member', trigger: [['GEOADD', 'g', '0', '0', 'a'], ['GEORADIUSBYMEMBER', 'g', 'b', '1', 'm']] },
  GEO_COUNT_NOT_POSITIVE: { text: 'ERR COUNT must be > 0', trigger: [['GEORADIUS', 'g', '0', '0', '1', 'm', 'COUNT', '0']] },
  GEO_ANY_NEEDS_COUNT: { text: 'ERR the ANY argument requires COUNT argument', trigger: [['GEORADIUS', 'g', '0', '0', '1', 'm', 'ANY']] },
  GEO_STORE_WITH_OPTIONS: {
    text: 'ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options',
    args: ['GEOSEARCHSTORE'],
    trigger: [['GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'm', 'WITHDIST']],
  },
  GEO_FROM_NEEDED: {
    text: 'ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geoSearch',
    args: ['geoSearch'],
    trigger: [['geoSearch', 'g', 'BYRADIUS', '1', 'm', 'ASC', 'ASC']],
  },
  GEO_BY_NEEDED: {
    text: 'ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH',
    args: ['GEOSEARCH'],
    trigger: [['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'ASC', 'ASC']],
  },
  SORT_NOT_DOUBLE: { text: "ERR One or more scores can't be converted into double", trigger: [['RPUSH', 'l', 'a'], ['SORT', 'l']] },

  // Streams
  INVALID_ID: { text: 'ERR Invalid stream ID specified as stream command argument', trigger: [['XADD', 's', 'bad', 'f', 'v']] },
  INVALID_START_ID: { text: 'ERR invalid start ID for the interval', trigger: [['XRANGE', 's', `(${MAX_ID}`, '+']] },
  INVALID_END_ID: { text: 'ERR invalid end ID for the interval', trigger: [['XRANGE', 's', '-', '(0-0']] },
  MAXLEN_AND_MINID: {
    text: 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible',
    trigger: [['XADD', 's', 'MAXLEN', '1', 'MINID', '0', '*', 'f', 'v']],
  },
  LIMIT_WITHOUT_STRATEGY: {
    text: 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy',
    trigger: [['XADD', 's', 'LIMIT', '1', '*', 'f', 'v']],
  },
  LIMIT_WITHOUT_APPROX: {
    text: 'ERR syntax error, LIMIT cannot be used without the special ~ option',
    trigger: [['XADD', 's', 'MAXLEN', '1', 'LIMIT', '1', '*', 'f', 'v']],
  },
  XTRIM_WITHOUT_STRATEGY: {
    text: 'ERR syntax error, XTRIM must be called with a trimming strategy',
    untriggered: "XTRIM's arity leaves no argument list without a strategy that is not a syntax or LIMIT error first",
  },
  MAXLEN_NEGATIVE: { text: 'ERR The MAXLEN argument must be >= 0.', trigger: [['XADD', 's', 'MAXLEN', '-1', '*', 'f', 'v']] },
  LIMIT_NEGATIVE: { text: 'ERR The LIMIT argument must be >= 0.', trigger: [['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1', '*', 'f', 'v']] },
  XADD_ID_ZERO: { text: 'ERR The ID specified in XADD must be greater than 0-0', trigger: [['XADD', 's', '0-0', 'f', 'v']] },
  XADD_ID_NOT_ABOVE_TOP: {
    text: 'ERR The ID specified in XADD is equal or smaller than the target stream top item',
    trigger: [['XADD', 's', '5-0', 'f', 'v'], ['XADD', 's', '5-0', 'f', 'v']],
  },
  STREAM_IDS_EXHAUSTED: {
    text: 'ERR The stream has exhausted the last possible ID, unable to add more items',
    trigger: [['XADD', 's', MAX_ID, 'f', 'v'], ['XADD', 's', '*', 'f', 'v']],
  },
  STREAM_ELEMENTS_TOO_LARGE: { text: 'ERR Elements are too large to be stored', untriggered: 'needs a field or value over 1 GB' },
  XSETID_ENTRIES_ADDED_NEGATIVE: {
    text: 'ERR entries_added must be positive',
    trigger: [['XADD', 's', '1-0', 'f', 'v'], ['XSETID', 's', '1-0', 'ENTRIESADDED', '-1']],
  },
  XSETID_BELOW_MAX_DELETED: {
    text: 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
    trigger: [['XADD', 's', '1-0', 'f', 'v'], ['XSETID', 's', '5-0', 'ENTRIESADDED', '5', 'MAXDELETEDID', '6-0']],
  },
  XSETID_BELOW_TOP: {
    text: 'ERR The ID specified in XSETID is smaller than the target stream top item',
    trigger: [['XADD', 's', '5-0', 'f', 'v'], ['XSETID', 's', '4-0']],
  },
  XSETID_ENTRIES_ADDED_BELOW_LENGTH: {
    text: 'ERR The entries_added specified in XSETID is smaller than the target stream length',
    trigger: [['XADD', 's', '1-0', 'f', 'v'], ['XADD', 's', '2-0', 'f', 'v'], ['XSETID', 's', '3-0', 'ENTRIESADDED', '1']],
  },
  XREAD_UNBALANCED: {
    text: "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
    trigger: [['XREAD', 'STREAMS', 'a', 'b', 'c']],
  },
  XREADGROUP_DOLLAR: {
    text: 'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '$']],
  },
  XREAD_GT_WITHOUT_GROUP: {
    text: 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
    trigger: [['XREAD', 'STREAMS', 's', '>']],
  },
  XREAD_GROUP_OPTION: {
    text: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
    trigger: [['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 's', '0']],
  },
  XREAD_NOACK_OPTION: {
    text: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
    trigger: [['XREAD', 'NOACK', 'STREAMS', 's', '0']],
  },
  XREADGROUP_MISSING_GROUP: { text: 'ERR Missing GROUP option for XREADGROUP', trigger: [['XREADGROUP', 'COUNT', '1', 'NOACK', 'STREAMS', 's', '0']] },
  UNBLOCKED_STREAM_DELETED: {
    text: 'UNBLOCKED the stream key no longer exists',
    untriggered: 'a second client must delete the stream under a blocked XREADGROUP (test/diff/stream-blocking.test.ts)',
  },
  NOGROUP_BLOCKED: {
    text: 'NOGROUP the consumer group this client was blocked on no longer exists',
    untriggered: 'a second client must destroy the group under a blocked XREADGROUP (test/diff/stream-blocking.test.ts)',
  },
  XGROUP_NEEDS_KEY: {
    text: 'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    trigger: [['XGROUP', 'CREATE', 'missing', 'g', '$']],
  },
  BUSYGROUP: {
    text: 'BUSYGROUP Consumer Group name already exists',
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XGROUP', 'CREATE', 's', 'g', '$']],
  },
  ENTRIESREAD_RANGE: {
    text: 'ERR value for ENTRIESREAD must be positive or -1',
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '-2']],
  },
  NOGROUP: { text: "NOGROUP No such key 's' or consumer group 'g'", args: ['s', 'g'], trigger: [['XPENDING', 's', 'g']] },
  NO_SUCH_GROUP: {
    text: "NOGROUP No such consumer group 'g' for key name 's'",
    args: ['s', 'g'],
    trigger: [['XADD', 's', '1-0', 'f', 'v'], ['XINFO', 'CONSUMERS', 's', 'g']],
  },
  XCLAIM_MIN_IDLE: {
    text: 'ERR Invalid min-idle-time argument for XCLAIM',
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XCLAIM', 's', 'g', 'c', 'x', '0-1']],
  },
  XCLAIM_OPTION_ARGUMENT: {
    text: 'ERR Invalid IDLE option argument for XCLAIM',
    args: ['IDLE'],
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XCLAIM', 's', 'g', 'c', '0', '0-1', 'IDLE', 'x']],
  },
  XCLAIM_UNRECOGNIZED_OPTION: {
    text: "ERR Unrecognized XCLAIM option 'FOO'",
    args: ['FOO'],
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XCLAIM', 's', 'g', 'c', '0', '0-1', 'FOO']],
  },
  XAUTOCLAIM_MIN_IDLE: { text: 'ERR Invalid min-idle-time argument for XAUTOCLAIM', trigger: [['XAUTOCLAIM', 's', 'g', 'c', 'x', '0']] },
  XAUTOCLAIM_COUNT: { text: 'ERR COUNT must be > 0', trigger: [['XAUTOCLAIM', 's', 'g', 'c', '0', '0', 'COUNT', '0']] },
  XAUTOCLAIM_NO_MEMORY: {
    text: 'ERR Insufficient memory, failed allocating transient memory, COUNT too high.',
    trigger: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XAUTOCLAIM', 's', 'g', 'c', '0', '0', 'COUNT', '576460752303423487']],
  },

  // Pub/sub, connection, transactions
  SSUBSCRIBE_DENY_BLOCKING: {
    text: "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
    trigger: [['MULTI'], ['SSUBSCRIBE', 'ch'], ['EXEC']],
  },
  WRONGPASS: { text: 'WRONGPASS invalid username-password pair or user is disabled.', trigger: [['AUTH', 'bob', 'secret']] },
  AUTH_WITHOUT_PASSWORD: {
    text: 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    trigger: [['AUTH', 'secret']],
  },
  HELLO_NOAUTH: {
    text: 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    untriggered: 'needs a server with a password (test/diff/connection.test.ts)',
  },
  PROTOCOL_NOT_INTEGER: { text: 'ERR Protocol version is not an integer or out of range', trigger: [['HELLO', 'x']] },
  NOPROTO: { text: 'NOPROTO unsupported protocol version', trigger: [['HELLO', '4']] },
  HELLO_SYNTAX: { text: "ERR Syntax error in HELLO option 'FOO'", args: ['FOO'], trigger: [['HELLO', '2', 'FOO']] },
  MULTI_NESTED: { text: 'ERR MULTI calls can not be nested', trigger: [['MULTI'], ['MULTI']] },
  EXEC_WITHOUT_MULTI: { text: 'ERR EXEC without MULTI', trigger: [['EXEC']] },
  DISCARD_WITHOUT_MULTI: { text: 'ERR DISCARD without MULTI', trigger: [['DISCARD']] },
  WATCH_INSIDE_MULTI: { text: 'ERR WATCH inside MULTI is not allowed', trigger: [['MULTI'], ['WATCH', 'k']] },

  // CLIENT
  CLIENT_NAME_CHARACTERS: {
    text: 'ERR Client names cannot contain spaces, newlines or special characters.',
    trigger: [['CLIENT', 'SETNAME', 'a b']],
  },
  UNKNOWN_CLIENT_TYPE: { text: "ERR Unknown client type 'foo'", args: ['foo'], trigger: [['CLIENT', 'LIST', 'TYPE', 'foo']] },
  INVALID_CLIENT_ID: { text: 'ERR Invalid client ID', trigger: [['CLIENT', 'LIST', 'ID', 'x']] },
  CLIENT_ID_NOT_POSITIVE: { text: 'ERR client-id should be greater than 0', trigger: [['CLIENT', 'KILL', 'ID', '0']] },
  NO_SUCH_USER: { text: "ERR No such user 'bob'", args: ['bob'], trigger: [['CLIENT', 'KILL', 'USER', 'bob']] },
  NO_SUCH_CLIENT: { text: 'ERR No such client', trigger: [['CLIENT', 'KILL', '1.2.3.4:5']] },
  CLIENT_PAUSE_MODE: { text: 'ERR CLIENT PAUSE mode must be WRITE or ALL', trigger: [['CLIENT', 'PAUSE', '10', 'FOO']] },
  CLIENT_UNBLOCK_REASON: { text: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR', trigger: [['CLIENT', 'UNBLOCK', '1', 'FOO']] },
  UNBLOCKED_BY_CLIENT: {
    text: 'UNBLOCKED client unblocked via CLIENT UNBLOCK',
    untriggered: 'a second client must unblock a blocked one (test/server/client.test.ts)',
  },

  // Server
  MONITOR_DENY_BLOCKING: { text: "ERR MONITOR isn't allowed for DENY BLOCKING client", trigger: [['MULTI'], ['MONITOR'], ['EXEC']] },
  NO_SHUTDOWN_IN_PROGRESS: { text: 'ERR No shutdown in progress.', trigger: [['SHUTDOWN', 'ABORT']] },
  MAXCLIENTS: { text: 'ERR max number of clients reached', untriggered: 'needs maxclients reached; test/server/client-limits.test.ts compares it with redis-server' },
  SHUTDOWN_FAILED: { text: 'ERR Errors trying to SHUTDOWN. Check logs.', untriggered: 'needs a failing final save or an aborted wait; test/server/lifecycle.test.ts and test/replication/leader-interop.test.ts cover them' },
  INVALID_COMMAND: { text: 'ERR Invalid command specified', trigger: [['COMMAND', 'GETKEYS', 'foo', 'x']] },
  COMMAND_HAS_NO_KEYS: { text: 'ERR The command has no key arguments', trigger: [['COMMAND', 'GETKEYS', 'ping', 'x']] },
  INVALID_COMMAND_ARGUMENT_COUNT: { text: 'ERR Invalid number of arguments specified for command', trigger: [['COMMAND', 'GETKEYS', 'get', 'a', 'b']] },
  INVALID_COMMAND_ARGUMENTS: { text: 'ERR Invalid arguments specified for command', trigger: [['COMMAND', 'GETKEYS', 'lmpop', '5', 'a', 'LEFT']] },
  SLOWLOG_COUNT: { text: 'ERR count should be greater than or equal to -1', trigger: [['SLOWLOG', 'GET', '-2']] },
  CONFIG_SET_FAILED: {
    text: "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    args: ["Unknown option or number of arguments for CONFIG SET - 'foo'"],
    trigger: [['CONFIG', 'SET', 'foo', 'bar']],
  },
  NO_CONFIG_FILE: { text: 'ERR The server is running without a config file', trigger: [['CONFIG', 'REWRITE']] },
  CONFIG_REWRITE_FAILED: {
    text: 'ERR Rewriting config file: Permission denied',
    args: ['Permission denied'],
    untriggered: 'needs a config file the server cannot write (test/server/config.test.ts)',
  },
  AOF_REWRITE_IN_PROGRESS: {
    text: 'ERR Background append only file rewriting already in progress',
    untriggered: 'depends on a rewrite still running when the command arrives',
  },
  AOF_REWRITE_FAILED: {
    text: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    untriggered: 'needs a rewrite that fails to start',
  },
  BGSAVE_IN_PROGRESS: { text: 'ERR Background save already in progress', untriggered: 'depends on a save still running when the command arrives' },
  BGSAVE_WHILE_AOF_REWRITE: {
    text: "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    untriggered: 'depends on a rewrite still running when the command arrives',
  },
  DEBUG_NOT_ALLOWED: {
    text: 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    trigger: [['DEBUG', 'SLEEP', '0']],
  },
  DEBUG_RELOAD_OPTIONS: {
    text: 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.',
    untriggered: 'DEBUG is off on these servers (DEBUG_NOT_ALLOWED is triggered instead)',
  },
  DEBUG_RELOAD_FAILED: {
    text: 'ERR Error trying to load the RDB dump, check server logs.',
    args: ['Error trying to load the RDB dump, check server logs.'],
    untriggered: 'needs an unreadable snapshot file',
  },
  AOF_NOT_ENABLED: { text: 'ERR Append only file is not enabled', untriggered: "ours: this broker's DEBUG LOADAOF and AOF-FSYNC-* need the AOF" },
  AOF_LOAD_FAILED: { text: 'ERR Error loading the AOF: bad file', args: ['bad file'], untriggered: 'needs a damaged AOF (test/persistence/damage.test.ts)' },

  // DUMP, RESTORE, REPLCONF
  BUSYKEY: { text: 'BUSYKEY Target key name already exists.', trigger: [['SET', 'k', 'v'], ['RESTORE', 'k', '0', 'x']] },
  INVALID_TTL: { text: 'ERR Invalid TTL value, must be >= 0', trigger: [['RESTORE', 'k', '-1', 'x']] },
  INVALID_IDLETIME: { text: 'ERR Invalid IDLETIME value, must be >= 0', trigger: [['RESTORE', 'k', '0', 'x', 'IDLETIME', '-1']] },
  INVALID_FREQ: { text: 'ERR Invalid FREQ value, must be >= 0 and <= 255', trigger: [['RESTORE', 'k', '0', 'x', 'FREQ', '256']] },
  DUMP_PAYLOAD_INVALID: { text: 'ERR DUMP payload version or checksum are wrong', trigger: [['RESTORE', 'k', '0', 'not a payload']] },
  BAD_DATA_FORMAT: { text: 'ERR Bad data format', untriggered: 'needs a payload with a valid footer (test/diff/dump.test.ts)' },
  UNSUPPORTED_DATA_TYPE: {
    text: 'ERR Bad data format: RDB type 5 (zset) is not supported by this broker yet',
    args: ['RDB type 5 (zset) is not supported by this broker yet'],
    untriggered: 'ours: redis-server restores a sorted set',
  },
  REPLCONF_UNRECOGNIZED: { text: 'ERR Unrecognized REPLCONF option: foo', args: ['foo'], trigger: [['REPLCONF', 'foo', 'bar']] },
  RDB_ONLY_RANGE: { text: 'ERR value is out of range, value must between 0 and 1', trigger: [['REPLCONF', 'rdb-only', '2']] },
  SYNC_PENDING_OUTPUT: { text: 'ERR SYNC and PSYNC are invalid with pending output', untriggered: 'needs pipelined output before SYNC; test/replication/ covers the handshake' },
  SYNC_WITHOUT_LEADER: { text: "NOMASTERLINK Can't SYNC while not connected with my master", untriggered: 'needs a follower whose link is down; test/replication/follower-interop.test.ts compares it with redis-server' },
  WAIT_ON_REPLICA: {
    text:
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable ' +
      '(which is not the default) writes to replicas are just local and are not propagated.',
    untriggered: 'needs a follower; test/replication/ covers it',
  },
  READONLY_REPLICA: { text: "READONLY You can't write against a read only replica.", untriggered: 'needs a follower; test/replication/ covers it' },
  NOREPLICAS: {
    text: 'NOREPLICAS Not enough good replicas to write.',
    trigger: [['CONFIG', 'SET', 'min-replicas-to-write', '1'], ['SET', 'k', 'v']],
    cleanup: [['CONFIG', 'SET', 'min-replicas-to-write', '0']],
  },
  // The follower side of replication
  REPLICAOF_INVALID_PORT: { text: 'ERR Invalid master port', trigger: [['REPLICAOF', '127.0.0.1', 'x']] },
  REPLICAOF_FROM_REPLICA: { text: 'ERR Command is not valid when client is a replica.', untriggered: 'needs a connection that is a follower of this server' },
  MASTERDOWN: {
    text: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    untriggered: 'needs a leader that cannot be reached; test/replication/follower-interop.test.ts triggers it',
  },
  UNBLOCKED_STATE_CHANGED: {
    text: 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
    untriggered: 'needs a leader to follow; test/replication/follower-interop.test.ts',
  },
  REPLICAOF_DURING_FAILOVER: { text: 'ERR REPLICAOF not allowed while failing over.', untriggered: 'needs a failover in progress; test/replication/failover.test.ts' },
  NO_FAILOVER: { text: 'ERR No failover in progress.', trigger: [['FAILOVER', 'ABORT']] },
  FAILOVER_TIMEOUT_NOT_POSITIVE: { text: 'ERR FAILOVER timeout must be greater than 0', trigger: [['FAILOVER', 'TIMEOUT', '0']] },
  FAILOVER_IN_PROGRESS: { text: 'ERR FAILOVER already in progress.', untriggered: 'needs a failover in progress; test/replication/failover.test.ts' },
  FAILOVER_ON_REPLICA: { text: 'ERR FAILOVER is not valid when server is a replica.', untriggered: 'needs a follower; test/replication/failover.test.ts' },
  FAILOVER_NO_REPLICAS: { text: 'ERR FAILOVER requires connected replicas.', trigger: [['FAILOVER']] },
  FAILOVER_FORCE_ARGS: {
    text: 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.',
    untriggered: 'needs a follower attached (without one, FAILOVER requires connected replicas first)',
  },
  FAILOVER_NOT_A_REPLICA: { text: 'ERR FAILOVER target HOST and PORT is not a replica.', untriggered: 'needs a follower attached; test/replication/failover.test.ts' },
  FAILOVER_TARGET_OFFLINE: { text: 'ERR FAILOVER target replica is not online.', untriggered: 'needs a follower in its full resync' },
  PSYNC_FAILOVER_REPLID: { text: 'ERR PSYNC FAILOVER replid must match my replid.', untriggered: 'needs a follower; test/replication/failover.test.ts sends the matching one' },
  PSYNC_FAILOVER_ON_MASTER: { text: "ERR PSYNC FAILOVER can't be sent to a master.", trigger: [['PSYNC', 'x', '1', 'FAILOVER']] },
  // The server surface
  MODULE_NOT_ALLOWED: {
    text: 'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    trigger: [['MODULE', 'LOAD', '/nonexistent/module.so']],
  },
  MODULE_LOAD_FAILED: { text: 'ERR Error loading the extension. Please check the server logs.', untriggered: 'needs enable-module-command (test/diff/server-surface.test.ts)' },
  MODULE_UNLOAD_NO_SUCH_MODULE: { text: 'ERR Error unloading module: no such module with that name', untriggered: 'needs enable-module-command (test/diff/server-surface.test.ts)' },
  TRACKING_SINGLE_REDIRECT: {
    text: 'ERR A client can only redirect to a single other client',
    untriggered: 'needs a second client id to redirect to (test/diff/tracking.test.ts)',
  },
  TRACKING_NO_REDIRECT_CLIENT: { text: 'ERR The client ID you want redirect to does not exist', trigger: [['CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999']] },
  TRACKING_PREFIX_WITHOUT_BCAST: { text: 'ERR PREFIX option requires BCAST mode to be enabled', trigger: [['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a']] },
  TRACKING_BCAST_SWITCH: {
    text: "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    trigger: [['CLIENT', 'TRACKING', 'on'], ['CLIENT', 'TRACKING', 'on', 'BCAST']],
  },
  TRACKING_OPTIN_OPTOUT_WITH_BCAST: { text: 'ERR OPTIN and OPTOUT are not compatible with BCAST', trigger: [['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN']] },
  TRACKING_OPTIN_AND_OPTOUT: { text: "ERR You can't specify both OPTIN mode and OPTOUT mode", trigger: [['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT']] },
  TRACKING_OPTIN_OPTOUT_SWITCH: {
    text: "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    trigger: [['CLIENT', 'TRACKING', 'on', 'OPTIN'], ['CLIENT', 'TRACKING', 'on', 'OPTOUT']],
  },
  TRACKING_PREFIX_OVERLAPS_EXISTING: {
    text: "ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap.",
    args: ['ab', 'a'],
    trigger: [['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab']],
  },
  TRACKING_PREFIX_OVERLAPS_GIVEN: {
    text: "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.",
    args: ['a', 'ab'],
    trigger: [['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab']],
  },
  CACHING_WITHOUT_TRACKING: {
    text: 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    trigger: [['CLIENT', 'CACHING', 'yes']],
  },
  CACHING_YES_WITHOUT_OPTIN: {
    text: 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
    trigger: [['CLIENT', 'TRACKING', 'on'], ['CLIENT', 'CACHING', 'yes']],
  },
  CACHING_NO_WITHOUT_OPTOUT: {
    text: 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
    trigger: [['CLIENT', 'TRACKING', 'on'], ['CLIENT', 'CACHING', 'no']],
  },
};

/** An entry's text: the constant, or the function applied to the entry's arguments. */
function textOf(name: Name): string {
  const value: unknown = errors[name];
  if (typeof value === 'string') return value;
  return (value as (...args: unknown[]) => string)(...(ENTRIES[name].args ?? []));
}

describe('the error list (engine/errors.ts)', () => {
  it('has exactly the entries pinned here', () => {
    expect(Object.keys(errors).sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  for (const name of Object.keys(ENTRIES) as Name[]) {
    it(`${name} has its exact text`, () => {
      expect(textOf(name)).toBe(ENTRIES[name].text);
      // Untriggered entries say why.
      expect(ENTRIES[name].trigger !== undefined || ENTRIES[name].untriggered !== undefined).toBe(true);
    });
  }
});

describe.skipIf(!hasRedisServer())('each error as redis-server 7.0 and the broker reply it', () => {
  const servers = suiteServers();

  for (const name of Object.keys(ENTRIES) as Name[]) {
    const entry = ENTRIES[name];
    if (entry.trigger === undefined) continue;
    it(`${name}: ${entry.trigger.map((argv) => argv.join(' ').slice(0, 60)).join('; ')}`, async () => {
      const pair = await servers.pair();
      try {
        await pair.both('FLUSHALL');
        let last = '';
        for (const argv of entry.trigger!) last = show((await pair.same(...argv)).raw);
        expect(last).toContain(JSON.stringify(`-${entry.text}\r\n`).slice(1, -1));
      } finally {
        for (const argv of entry.cleanup ?? []) await pair.both(...argv);
        pair.close();
      }
    });
  }
});

if (!hasRedisServer()) describe.skip(NO_REDIS, () => {});
