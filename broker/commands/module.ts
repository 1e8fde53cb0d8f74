/**
 * MODULE: this broker loads no modules. LIST is empty; LOAD, LOADEX and UNLOAD are
 * protected actions, refused with redis-server's text under its default
 * `enable-module-command no`; when allowed they fail as a load of a missing library
 * fails on redis-server (there is no C module ABI to load into).
 */
import type { CommandDef } from '../../engine/command.js';
import { MODULE_LOAD_FAILED, MODULE_NOT_ALLOWED, MODULE_UNLOAD_NO_SUCH_MODULE } from '../../engine/errors.js';
import { replyHelp } from '../../engine/help.js';
import type { Connection } from '../net/connection.js';
import { allowProtectedAction } from '../net/protected.js';

/** processCommand's CMD_PROTECTED check, after the arity check as in redis-server. */
function allowedOrReply(c: Connection): boolean {
  if (allowProtectedAction(c.broker.config.get('enable-module-command'), c)) return true;
  c.reply.error(MODULE_NOT_ALLOWED);
  return false;
}

function moduleLoad(c: Connection, argv: string[]): void {
  if (!allowedOrReply(c)) return;
  c.broker.log.warn(`Module ${argv[2]} failed to load: this broker does not load modules`);
  c.reply.error(MODULE_LOAD_FAILED);
}

function moduleUnload(c: Connection): void {
  if (!allowedOrReply(c)) return;
  c.reply.error(MODULE_UNLOAD_NO_SUCH_MODULE);
}

const HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

export const moduleCommands: readonly CommandDef<Connection>[] = [
  { name: 'module|list', handler: (c) => c.reply.array(0) },
  { name: 'module|load', handler: moduleLoad },
  { name: 'module|loadex', handler: moduleLoad },
  { name: 'module|unload', handler: moduleUnload },
  { name: 'module|help', handler: (c, argv) => replyHelp(c.reply, argv[0], HELP) },
];
