/**
 * Secrets kept out of MONITOR and SLOWLOG, as redis-server's
 * redactClientCommandArgument: AUTH's arguments, HELLO's AUTH pair, MIGRATE's
 * AUTH/AUTH2 passwords and the values of sensitive parameters in CONFIG SET.
 */
import type { Config } from '../config/config.js';

const REDACTED = '(redacted)';

/** argv as MONITOR and SLOWLOG may show it (the same array when nothing is secret). */
export function redactArgv(fullname: string, argv: readonly string[], config: Config): readonly string[] {
  switch (fullname) {
    case 'auth':
      // AUTH with too many arguments fails before redis-server redacts anything.
      return argv.length <= 3 ? [argv[0], ...argv.slice(1).map(() => REDACTED)] : argv;
    case 'hello':
      return redactHello(argv);
    case 'migrate':
      return redactMigrate(argv);
    case 'config|set':
      return redactConfigSet(argv, config);
    default:
      return argv;
  }
}

/** HELLO redacts the AUTH pair as it parses options, so only up to the first bad one. */
function redactHello(argv: readonly string[]): readonly string[] {
  if (argv.length < 2 || !/^-?\d+$/.test(argv[1])) return argv;
  const out = [...argv];
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j].toLowerCase();
    if (opt === 'auth' && more >= 2) {
      out[j + 1] = REDACTED;
      out[j + 2] = REDACTED;
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      j++;
    } else {
      break;
    }
  }
  return out;
}

function redactMigrate(argv: readonly string[]): readonly string[] {
  const out = [...argv];
  for (let j = 6; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if (opt === 'auth' && j + 1 < argv.length) {
      out[++j] = REDACTED;
    } else if (opt === 'auth2' && j + 2 < argv.length) {
      out[++j] = REDACTED;
      out[++j] = REDACTED;
    } else if (opt !== 'copy' && opt !== 'replace') {
      break;
    }
  }
  return out;
}

function redactConfigSet(argv: readonly string[], config: Config): readonly string[] {
  const out = [...argv];
  for (let j = 2; j + 1 < argv.length; j += 2) {
    if (config.spec(argv[j])?.sensitive) out[j + 1] = REDACTED;
  }
  return out;
}
