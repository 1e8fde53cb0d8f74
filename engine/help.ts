/** The HELP replies and the subcommand error shared by container commands (OBJECT, DEBUG, ...). */
import type { Reply } from '../protocol/reply.js';

/**
 * redis-server's addReplyHelp: a header naming the command as typed (uppercased),
 * the given lines, then the HELP entry, all as status replies in one array.
 */
export function replyHelp(reply: Reply, command: string, lines: readonly string[]): void {
  reply.array(lines.length + 3);
  reply.simple(`${command.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of lines) reply.simple(line);
  reply.simple('HELP');
  reply.simple('    Prints this help.');
}

/** redis-server's addReplySubcommandSyntaxError text, for argv[1] under argv[0]. */
export function subcommandSyntaxError(argv: readonly string[]): string {
  // %.128s: at most 128 bytes, and C stops at a NUL byte.
  const sub = cString(argv[1]).slice(0, 128);
  return `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try ${argv[0].toUpperCase()} HELP.`;
}

/** The part of `s` a C string function sees: everything before the first NUL byte. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
