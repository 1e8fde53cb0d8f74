/**
 * Every error reply of the engine's and the broker's commands, with redis-server
 * 7.0's exact text, in one list (test/unit/error-list.test.ts fixes each text and
 * compares it with what redis-server answers). A text that depends on the command's
 * arguments is a function, called only on the error path; `%s` arguments go through
 * `cString` where redis-server prints them as C strings (cut at a NUL).
 *
 * Ours alone: INTERNAL_ERROR, and the broker's own DEBUG subcommands' texts.
 */
import { cString } from './util/c-string.js';

// ---------------------------------------------------------------------------------------
// Shared by many commands

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
/** getIntFromObjectOrReply's error for an integer outside a C int (sic: "must between"). */
export const INT_OUT_OF_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
/** getPositiveLongFromObjectOrReply's default error, for a bad or negative count (LPOP, SPOP...). */
export const MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
/** LMPOP/ZMPOP and their blocking forms: a numkeys or COUNT below 1 (or not a number). */
export const NUMKEYS_NOT_POSITIVE = 'ERR numkeys should be greater than 0';
export const COUNT_NOT_POSITIVE = 'ERR count should be greater than 0';
/** getTimeoutFromObjectOrReply: seconds (BLPOP...) are floats, milliseconds (XREAD BLOCK, CLIENT PAUSE) integers. */
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';

// ---------------------------------------------------------------------------------------
// Dispatch and command containers

/** addReplySubcommandSyntaxError, for argv[1] under argv[0]. */
export const SUBCOMMAND_SYNTAX = (command: string, sub: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${cString(sub, 128)}'. Try ${command.toUpperCase()} HELP.`;
export const UNKNOWN_SUBCOMMAND = (command: string, sub: string): string =>
  `ERR unknown subcommand '${cString(sub, 128)}'. Try ${cString(command).toUpperCase()} HELP.`;
/** `args` is the quoted arguments, each cut as redis-server cuts them (engine/command.ts). */
export const UNKNOWN_COMMAND = (command: string, args: string): string =>
  `ERR unknown command '${cString(command, 128)}', with args beginning with: ${args}`;
/** Ours: a command handler threw (a bug); the client gets this instead of half a reply. */
export const INTERNAL_ERROR = (command: string): string => `ERR internal error executing '${command}'`;
/** Ours: an argument that is no value (a key, an element) longer than a JS string can be. */
export const ARGUMENT_TOO_LONG = (index: number, length: number, max: number): string =>
  `ERR argument #${index} is too long (${length} bytes) for this broker: only a value can exceed ${max} bytes`;

// ---------------------------------------------------------------------------------------
// Keys

export const EXPIRE_UNSUPPORTED_OPTION = (option: string): string => `ERR Unsupported option ${cString(option)}`;
export const EXPIRE_NX_AND_XX_GT_LT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const EXPIRE_GT_AND_LT = 'ERR GT and LT options at the same time are not compatible';
export const INVALID_FIRST_DB = 'ERR invalid first DB index';
export const INVALID_SECOND_DB = 'ERR invalid second DB index';
export const LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

// ---------------------------------------------------------------------------------------
// Strings and lists

export const LCS_NOT_STRINGS = 'ERR The specified keys must contain string values';
export const LCS_IDX_AND_LEN = 'ERR If you want both the length and indexes, please just use IDX.';
export const LCS_TOO_LARGE = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
export const LCS_NO_MEMORY = 'ERR Insufficient memory, failed allocating transient memory for LCS';
export const LPOS_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
export const LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";

// ---------------------------------------------------------------------------------------
// Hashes and sets

export const HASH_VALUE_NOT_INTEGER = 'ERR hash value is not an integer';
export const HASH_VALUE_NOT_FLOAT = 'ERR hash value is not a float';
export const INCREMENT_NAN_OR_INFINITY = 'ERR value is NaN or Infinity';
/** getRangeLongFromObjectOrReply over -LONG_MAX..LONG_MAX (SRANDMEMBER, HRANDFIELD counts). */
export const COUNT_OUT_OF_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
/** HRANDFIELD ... WITHVALUES with a count whose doubled reply length overflows. */
export const VALUE_OUT_OF_RANGE = 'ERR value is out of range';
/** Ours: a sample with repetitions (negative count) longer than any reply can be; redis-server tries and dies. */
export const SAMPLE_TOO_LARGE = (max: number): string => `ERR count is out of range for this broker: a sample holds at most ${max} elements`;
export const NUMKEYS_ABOVE_ARGS = "ERR Number of keys can't be greater than number of args";
export const LIMIT_CANT_BE_NEGATIVE = "ERR LIMIT can't be negative";

// ---------------------------------------------------------------------------------------
// Sorted sets

export const ZADD_XX_NX = 'ERR XX and NX options at the same time are not compatible';
export const ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
export const ZADD_INCR_SINGLE_PAIR = 'ERR INCR option supports a single increment-element pair';
export const ZSET_NAN_SCORE = 'ERR resulting score is not a number (NaN)';
export const ZSET_SCORE_RANGE_INVALID = 'ERR min or max is not a float';
export const ZSET_LEX_RANGE_INVALID = 'ERR min or max not valid string range item';
export const ZSET_LIMIT_NEEDS_BY = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
export const ZSET_WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
export const ZSET_WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
export const ZSET_INPUT_KEY_NEEDED = (command: string): string => `ERR at least 1 input key is needed for '${command}' command`;

// ---------------------------------------------------------------------------------------
// Streams

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const INVALID_START_ID = 'ERR invalid start ID for the interval';
export const INVALID_END_ID = 'ERR invalid end ID for the interval';
export const MAXLEN_AND_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';
export const LIMIT_WITHOUT_STRATEGY = 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy';
export const LIMIT_WITHOUT_APPROX = 'ERR syntax error, LIMIT cannot be used without the special ~ option';
export const XTRIM_WITHOUT_STRATEGY = 'ERR syntax error, XTRIM must be called with a trimming strategy';
export const MAXLEN_NEGATIVE = 'ERR The MAXLEN argument must be >= 0.';
export const LIMIT_NEGATIVE = 'ERR The LIMIT argument must be >= 0.';
export const XADD_ID_ZERO = 'ERR The ID specified in XADD must be greater than 0-0';
export const XADD_ID_NOT_ABOVE_TOP = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
export const STREAM_IDS_EXHAUSTED = 'ERR The stream has exhausted the last possible ID, unable to add more items';
export const STREAM_ELEMENTS_TOO_LARGE = 'ERR Elements are too large to be stored';
export const XSETID_ENTRIES_ADDED_NEGATIVE = 'ERR entries_added must be positive';
export const XSETID_BELOW_MAX_DELETED = 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id';
export const XSETID_BELOW_TOP = 'ERR The ID specified in XSETID is smaller than the target stream top item';
export const XSETID_ENTRIES_ADDED_BELOW_LENGTH = 'ERR The entries_added specified in XSETID is smaller than the target stream length';
export const XREAD_UNBALANCED = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
export const XREADGROUP_DOLLAR =
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.';
export const XREAD_GT_WITHOUT_GROUP = 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.';
export const XREAD_GROUP_OPTION = 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.';
export const XREAD_NOACK_OPTION = 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.';
export const XREADGROUP_MISSING_GROUP = 'ERR Missing GROUP option for XREADGROUP';
/** A blocked XREADGROUP whose stream was deleted, or whose group was destroyed. */
export const UNBLOCKED_STREAM_DELETED = 'UNBLOCKED the stream key no longer exists';
export const NOGROUP_BLOCKED = 'NOGROUP the consumer group this client was blocked on no longer exists';
export const XGROUP_NEEDS_KEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';
export const BUSYGROUP = 'BUSYGROUP Consumer Group name already exists';
export const ENTRIESREAD_RANGE = 'ERR value for ENTRIESREAD must be positive or -1';
/** `NOGROUP` as XPENDING, XCLAIM, XAUTOCLAIM (and with a suffix XREADGROUP) word it. */
export const NOGROUP = (key: string, group: string, suffix = ''): string =>
  `NOGROUP No such key '${cString(key)}' or consumer group '${cString(group)}'${suffix}`;
/** `NOGROUP` as XGROUP and XINFO CONSUMERS word it. */
export const NO_SUCH_GROUP = (key: string, group: string): string =>
  `NOGROUP No such consumer group '${cString(group)}' for key name '${cString(key)}'`;
export const XCLAIM_MIN_IDLE = 'ERR Invalid min-idle-time argument for XCLAIM';
export const XCLAIM_OPTION_ARGUMENT = (option: string): string => `ERR Invalid ${option} option argument for XCLAIM`;
export const XCLAIM_UNRECOGNIZED_OPTION = (option: string): string => `ERR Unrecognized XCLAIM option '${cString(option)}'`;
export const XAUTOCLAIM_MIN_IDLE = 'ERR Invalid min-idle-time argument for XAUTOCLAIM';
export const XAUTOCLAIM_COUNT = 'ERR COUNT must be > 0';
export const XAUTOCLAIM_NO_MEMORY = 'ERR Insufficient memory, failed allocating transient memory, COUNT too high.';

// ---------------------------------------------------------------------------------------
// Pub/sub, connection, transactions

export const SSUBSCRIBE_DENY_BLOCKING = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_WITHOUT_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
export const PROTOCOL_NOT_INTEGER = 'ERR Protocol version is not an integer or out of range';
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const HELLO_SYNTAX = (option: string): string => `ERR Syntax error in HELLO option '${cString(option)}'`;
export const MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const WATCH_INSIDE_MULTI = 'ERR WATCH inside MULTI is not allowed';

// ---------------------------------------------------------------------------------------
// CLIENT

export const CLIENT_NAME_CHARACTERS = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const UNKNOWN_CLIENT_TYPE = (type: string): string => `ERR Unknown client type '${type}'`;
export const INVALID_CLIENT_ID = 'ERR Invalid client ID';
export const CLIENT_ID_NOT_POSITIVE = 'ERR client-id should be greater than 0';
export const NO_SUCH_USER = (user: string): string => `ERR No such user '${user}'`;
export const NO_SUCH_CLIENT = 'ERR No such client';
export const CLIENT_PAUSE_MODE = 'ERR CLIENT PAUSE mode must be WRITE or ALL';
export const CLIENT_UNBLOCK_REASON = 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR';
/** What a client unblocked by CLIENT UNBLOCK ... ERROR gets. */
export const UNBLOCKED_BY_CLIENT = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

// ---------------------------------------------------------------------------------------
// Server: introspection, configuration, persistence, DEBUG

export const MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client";
export const NO_SHUTDOWN_IN_PROGRESS = 'ERR No shutdown in progress.';
export const MAXCLIENTS = 'ERR max number of clients reached';
export const SHUTDOWN_FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.';
export const INVALID_COMMAND = 'ERR Invalid command specified';
export const COMMAND_HAS_NO_KEYS = 'ERR The command has no key arguments';
export const INVALID_COMMAND_ARGUMENT_COUNT = 'ERR Invalid number of arguments specified for command';
export const INVALID_COMMAND_ARGUMENTS = 'ERR Invalid arguments specified for command';
export const SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';
/** CONFIG SET's errors: the message says which parameter and why (broker/config). */
export const CONFIG_SET_FAILED = (message: string): string => `ERR ${message}`;
export const NO_CONFIG_FILE = 'ERR The server is running without a config file';
export const CONFIG_REWRITE_FAILED = (reason: string): string => `ERR Rewriting config file: ${reason}`;
export const AOF_REWRITE_IN_PROGRESS = 'ERR Background append only file rewriting already in progress';
export const AOF_REWRITE_FAILED = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";
export const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';
export const BGSAVE_WHILE_AOF_REWRITE =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
export const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
export const DEBUG_RELOAD_OPTIONS = 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.';
/** DEBUG RELOAD's failures: the reason is the snapshot module's (broker/persistence/snapshots.ts). */
export const DEBUG_RELOAD_FAILED = (reason: string): string => `ERR ${reason}`;
/** Ours: DEBUG LOADAOF, AOF-FSYNC-HOLD and AOF-FSYNC-FAIL need the AOF on. */
export const AOF_NOT_ENABLED = 'ERR Append only file is not enabled';
export const AOF_LOAD_FAILED = (reason: string): string => `ERR Error loading the AOF: ${reason}`;

// ---------------------------------------------------------------------------------------
// DUMP, RESTORE, replication (engine/commands/dump.ts, broker/replication/)

export const BUSYKEY = 'BUSYKEY Target key name already exists.';
export const INVALID_TTL = 'ERR Invalid TTL value, must be >= 0';
export const INVALID_IDLETIME = 'ERR Invalid IDLETIME value, must be >= 0';
export const INVALID_FREQ = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
export const DUMP_PAYLOAD_INVALID = 'ERR DUMP payload version or checksum are wrong';
export const BAD_DATA_FORMAT = 'ERR Bad data format';
/** Ours: a payload of a type the engine does not have yet (redis-server would restore it). */
export const UNSUPPORTED_DATA_TYPE = (reason: string): string => `ERR Bad data format: ${reason}`;
export const REPLCONF_UNRECOGNIZED = (option: string): string => `ERR Unrecognized REPLCONF option: ${cString(option)}`;
/** getRangeLongFromObjectOrReply's error for REPLCONF rdb-only (sic: "must between"). */
export const RDB_ONLY_RANGE = 'ERR value is out of range, value must between 0 and 1';
export const SYNC_PENDING_OUTPUT = 'ERR SYNC and PSYNC are invalid with pending output';
export const SYNC_WITHOUT_LEADER = "NOMASTERLINK Can't SYNC while not connected with my master";
export const WAIT_ON_REPLICA =
  'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable ' +
  '(which is not the default) writes to replicas are just local and are not propagated.';
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';

// ---------------------------------------------------------------------------------------
// The follower side of replication (broker/replication/following.ts)

export const REPLICAOF_INVALID_PORT = 'ERR Invalid master port';
export const REPLICAOF_FROM_REPLICA = 'ERR Command is not valid when client is a replica.';
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const UNBLOCKED_STATE_CHANGED = 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)';
export const REPLICAOF_DURING_FAILOVER = 'ERR REPLICAOF not allowed while failing over.';
export const NO_FAILOVER = 'ERR No failover in progress.';
export const FAILOVER_TIMEOUT_NOT_POSITIVE = 'ERR FAILOVER timeout must be greater than 0';
export const FAILOVER_IN_PROGRESS = 'ERR FAILOVER already in progress.';
export const FAILOVER_ON_REPLICA = 'ERR FAILOVER is not valid when server is a replica.';
export const FAILOVER_NO_REPLICAS = 'ERR FAILOVER requires connected replicas.';
export const FAILOVER_FORCE_ARGS = 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
export const FAILOVER_NOT_A_REPLICA = 'ERR FAILOVER target HOST and PORT is not a replica.';
export const FAILOVER_TARGET_OFFLINE = 'ERR FAILOVER target replica is not online.';
export const PSYNC_FAILOVER_REPLID = 'ERR PSYNC FAILOVER replid must match my replid.';
export const PSYNC_FAILOVER_ON_MASTER = "ERR PSYNC FAILOVER can't be sent to a master.";
