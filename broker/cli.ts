/**
 * The command line's own options, answered before any configuration is read, as
 * redis-server's main() answers them: `-v`/`--version`, `-h`/`--help`, `--test-memory`
 * (not supported: the broker has no memory tester), and the `check-aof`/`check-rdb`
 * subcommands. Everything else is configuration (broker/config/config.ts, loadArgs).
 */
import { checkAofMain } from './persistence/aof/check.js';
import { checkRdbMain } from './persistence/check-rdb.js';
import { BROKER_VERSION, REDIS_VERSION } from './version.js';

const USAGE = `Usage: broker [/path/to/redis.conf] [options] [-]
       broker - (read config from stdin)
       broker -v or --version
       broker -h or --help
       broker check-aof [--fix] <dir>
       broker check-rdb <rdb-file>

Examples:
       broker (run the broker with its defaults)
       echo 'maxmemory 128mb' | broker -
       broker /etc/redis/redis.conf
       broker --port 7777
       broker --port 7777 --replicaof 127.0.0.1 8888
       broker /etc/myredis.conf --loglevel verbose -
       broker /etc/myredis.conf --loglevel verbose --log-format json

Options are redis.conf directives (redis-server 7.0's, and the broker's own such as
--http-port); CONFIG GET * lists them all.
`;

/** The exit status when `argv` (without node and the script) is one of these options, else null. */
export function runCommandLineOption(argv: readonly string[], out: (text: string) => void, err: (text: string) => void): number | null {
  const first = argv[0];
  if (first === 'check-aof') return checkAofMain(argv.slice(1));
  if (first === 'check-rdb') return checkRdbMain(argv.slice(1));
  if (argv.length !== 1 && first !== '--test-memory') return null;
  switch (first) {
    case '-v':
    case '--version':
      out(`streams-broker v=${BROKER_VERSION} redis=${REDIS_VERSION} node=${process.version} bits=64\n`);
      return 0;
    case '-h':
    case '--help':
      out(USAGE);
      return 0;
    case '--test-memory':
      err('--test-memory is not supported by this broker: its memory is managed by Node.js (V8); use memtester or the like.\n');
      return 1;
    default:
      return null;
  }
}
