/** The HELP replies and the subcommand error shared by container commands (OBJECT, DEBUG, ...). */
import type { Reply } from '../protocol/reply.js';
import { SUBCOMMAND_SYNTAX } from './errors.js';

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
  return SUBCOMMAND_SYNTAX(argv[0], argv[1]);
}
