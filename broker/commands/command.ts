/**
 * COMMAND and its subcommands: the command table as data, from the metadata
 * generated from redis-server. Only what this broker implements is listed: a
 * container command shows its implemented subcommands only.
 */
import type { Command, CommandDef } from '../../engine/command.js';
import {
  COMMAND_HAS_NO_KEYS,
  INVALID_COMMAND,
  INVALID_COMMAND_ARGUMENT_COUNT,
  INVALID_COMMAND_ARGUMENTS,
  SYNTAX,
} from '../../engine/errors.js';
import { globMatch } from '../../engine/glob.js';
import { replyHelp } from '../../engine/help.js';
import type { RespValue } from '../../protocol/reply.js';
import type { Connection } from '../net/connection.js';
import { commandKeys, hasKeys } from './getkeys.js';

type Cmd = Command<Connection>;

function implementedSubcommands(cmd: Cmd): Cmd[] {
  return [...(cmd.subcommands?.values() ?? [])].filter((s) => s.handler !== null);
}

/** A command by name as COMMAND INFO/DOCS take it: `get` or `config|get`. */
function byName(c: Connection, name: string): Cmd | undefined {
  const [base, sub, extra] = name.split('|');
  const cmd = c.broker.commands.get(base);
  if (cmd === undefined || extra !== undefined) return undefined;
  if (sub === undefined) return cmd;
  const child = cmd.subcommands?.get(sub.toLowerCase());
  return child?.handler != null ? child : undefined;
}

/** COMMAND INFO's entry: the stored one, with the subcommand list cut to what is implemented. */
function infoOf(cmd: Cmd): RespValue {
  if (cmd.subcommands === null) return cmd.info;
  const info = [...(cmd.info as RespValue[])];
  info[9] = implementedSubcommands(cmd).map(infoOf);
  return info;
}

/** COMMAND DOCS's entry, likewise without unimplemented subcommands. */
function docsOf(cmd: Cmd): RespValue {
  const docs = cmd.docs as { map: [RespValue, RespValue][] } | null;
  if (cmd.subcommands === null || docs === null) return docs;
  const names = new Set(implementedSubcommands(cmd).map((s) => s.fullname));
  return {
    map: docs.map.map(([k, v]): [RespValue, RespValue] =>
      k === 'subcommands' ? [k, { map: (v as { map: [RespValue, RespValue][] }).map.filter(([n]) => names.has(n as string)) }] : [k, v],
    ),
  };
}

function flagNames(cmd: Cmd): string[] {
  return ((cmd.info as RespValue[])[2] as { set: { simple: string }[] }).set.map((f) => f.simple);
}

function aclCategories(cmd: Cmd): string[] {
  return ((cmd.info as RespValue[])[6] as { set: { simple: string }[] }).set.map((f) => f.simple.slice(1).toLowerCase());
}

function commandAll(c: Connection): void {
  const commands = c.broker.commands.commands();
  c.reply.array(commands.length);
  for (const cmd of commands) c.reply.value(infoOf(cmd));
}

function commandCount(c: Connection): void {
  c.reply.int(c.broker.commands.commands().length);
}

function commandInfo(c: Connection, argv: string[]): void {
  if (argv.length === 2) return commandAll(c);
  c.reply.array(argv.length - 2);
  for (const name of argv.slice(2)) {
    const cmd = byName(c, name);
    if (cmd === undefined) c.reply.nil();
    else c.reply.value(infoOf(cmd));
  }
}

function commandDocs(c: Connection, argv: string[]): void {
  const found: Cmd[] = [];
  if (argv.length === 2) found.push(...c.broker.commands.commands());
  for (const name of argv.slice(2)) {
    const cmd = byName(c, name);
    if (cmd !== undefined) found.push(cmd);
  }
  c.reply.map(found.length);
  for (const cmd of found) {
    c.reply.bulk(cmd.fullname);
    c.reply.value(docsOf(cmd));
  }
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: names, subcommands included. */
function commandList(c: Connection, argv: string[]): void {
  let filter: (cmd: Cmd) => boolean = () => true;
  for (let i = 2; i < argv.length; i += 3) {
    if (argv[i].toLowerCase() !== 'filterby' || argv.length - 1 - i !== 2) return c.reply.error(SYNTAX);
    const type = argv[i + 1].toLowerCase();
    const arg = argv[i + 2];
    if (type === 'module') filter = () => false;
    else if (type === 'aclcat') filter = (cmd) => aclCategories(cmd).includes(arg.toLowerCase());
    else if (type === 'pattern') filter = (cmd) => globMatch(arg, cmd.fullname, true);
    else return c.reply.error(SYNTAX);
  }
  const names: string[] = [];
  for (const cmd of c.broker.commands.commands()) {
    for (const x of [cmd, ...implementedSubcommands(cmd)]) if (filter(x)) names.push(x.fullname);
  }
  c.reply.array(names.length);
  for (const name of names) c.reply.bulk(name);
}

/** COMMAND GETKEYS / GETKEYSANDFLAGS <full command line>. */
function getKeys(c: Connection, argv: string[], withFlags: boolean): void {
  const line = argv.slice(2);
  let cmd = c.broker.commands.get(line[0]);
  if (cmd !== undefined && cmd.subcommands !== null && line.length > 1) {
    const sub = cmd.subcommands.get(line[1].toLowerCase());
    cmd = sub?.handler != null ? sub : undefined;
  }
  if (cmd === undefined || cmd.handler === null) return c.reply.error(INVALID_COMMAND);
  if (!hasKeys(cmd)) return c.reply.error(COMMAND_HAS_NO_KEYS);
  if ((cmd.arity > 0 && cmd.arity !== line.length) || line.length < -cmd.arity) {
    return c.reply.error(INVALID_COMMAND_ARGUMENT_COUNT);
  }
  const keys = commandKeys(cmd, line);
  if (keys.length === 0) {
    if (flagNames(cmd).includes('no_mandatory_keys')) return c.reply.array(0);
    return c.reply.error(INVALID_COMMAND_ARGUMENTS);
  }
  c.reply.array(keys.length);
  for (const key of keys) {
    if (withFlags) c.reply.array(2);
    c.reply.bulk(line[key.pos]);
    if (withFlags) c.reply.value({ set: key.flags.map((simple) => ({ simple })) });
  }
}

const HELP = [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
];

export const commandCommands: readonly CommandDef<Connection>[] = [
  { name: 'command', handler: commandAll },
  { name: 'command|count', handler: commandCount },
  { name: 'command|info', handler: commandInfo },
  { name: 'command|docs', handler: commandDocs },
  { name: 'command|list', handler: commandList },
  { name: 'command|getkeys', handler: (c, argv) => getKeys(c, argv, false) },
  { name: 'command|getkeysandflags', handler: (c, argv) => getKeys(c, argv, true) },
  { name: 'command|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];
