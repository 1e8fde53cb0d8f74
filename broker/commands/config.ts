/** CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the broker's parameters, as redis-server 7.0's. */
import type { CommandDef } from '../../engine/command.js';
import { CONFIG_REWRITE_FAILED, CONFIG_SET_FAILED, NO_CONFIG_FILE, SYNTAX } from '../../engine/errors.js';
import { globMatch } from '../../engine/glob.js';
import { replyHelp } from '../../engine/help.js';
import { ConfigError } from '../config/config.js';
import { rewriteConfigFile } from '../config/rewrite.js';
import type { Connection } from '../net/connection.js';
import { allowProtectedAction } from '../net/protected.js';

/**
 * CONFIG GET name-or-pattern...: names without glob characters are looked up exactly
 * (and shown as typed), patterns match every entry, aliases included, ignoring case.
 * A parameter appears once however many arguments select it.
 */
function configGet(c: Connection, argv: string[]): void {
  const config = c.broker.config;
  const matches = new Map<string, [string, string]>();
  for (const arg of argv.slice(2)) {
    if (!/[[*?]/.test(arg)) {
      const spec = config.spec(arg);
      if (spec !== undefined && !matches.has(arg.toLowerCase())) {
        matches.set(arg.toLowerCase(), [arg, config.shown(spec.name)]);
      }
      continue;
    }
    for (const name of config.names()) {
      if (matches.has(name) || !globMatch(arg, name, true)) continue;
      matches.set(name, [name, config.shown(config.spec(name)!.name)]);
    }
  }
  c.reply.map(matches.size);
  for (const [name, value] of matches.values()) {
    c.reply.bulk(name);
    c.reply.bulk(value);
  }
}

function configSet(c: Connection, argv: string[]): void {
  if (argv.length % 2 !== 0) return c.reply.error(SYNTAX);
  const config = c.broker.config;
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  const previous = pairs.flatMap(([name]) => {
    const spec = config.spec(name);
    return spec === undefined ? [] : [[spec.name, config.get(spec.name)] as [string, string]];
  });
  try {
    config.setMany(pairs, allowProtectedAction(config.get('enable-protected-configs'), c));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return c.reply.error(CONFIG_SET_FAILED(err.message));
  }
  const listener = previous.find(([name]) => name === 'port' || name === 'bind');
  if (listener === undefined || previous.every(([name, value]) => name !== listener[0] || value === config.get(name))) {
    return c.reply.ok();
  }
  rebindOrReply(c, listener[0], previous);
}

/** Puts back the values a CONFIG SET changed: port and bind as they were (no listener of theirs), the others through their listeners. */
function restore(c: Connection, previous: [string, string][]): void {
  const config = c.broker.config;
  const others = previous.filter(([name]) => name !== 'port' && name !== 'bind');
  for (const [name, value] of previous) if (name === 'port' || name === 'bind') config.assign(name, value);
  try {
    config.setMany(others, true);
  } catch (err) {
    c.broker.log.warn(`Failed restoring failed CONFIG SET command: ${(err as Error).message}`);
  }
}

/** Why a new listener failed, as redis-server's apply functions say it. */
const REBIND_FAILED: Record<string, string> = {
  port: 'Unable to listen on this port. Check server logs.',
  bind: 'Failed to bind to specified addresses.',
};

/**
 * CONFIG SET port/bind: the reply waits (the client blocked meanwhile) until the broker
 * listens where they say; if it cannot, every value of the command is put back, as
 * redis-server restores them. Inside MULTI, which cannot wait, OK goes out at once and a
 * failure is only logged.
 */
function rebindOrReply(c: Connection, name: string, previous: [string, string][]): void {
  let refusal: string | null = null;
  const answer = (): void => (refusal === null ? c.reply.ok() : c.reply.error(CONFIG_SET_FAILED(refusal)));
  const blocked = !c.denyBlocking;
  if (blocked) c.engine.blocking.block(c, { keys: [], timeoutMs: 0, serve: () => false, timedOut: answer });
  else c.reply.ok();
  const value = (param: string): string => previous.find(([n]) => n === param)?.[1] ?? c.broker.config.get(param);
  void c.broker.rebind({ bind: value('bind'), port: Number(value('port')) }).then((ok) => {
    if (!ok) {
      refusal = `CONFIG SET failed (possibly related to argument '${name}') - ${REBIND_FAILED[name]}`;
      c.broker.log.warn(`CONFIG SET ${name} failed: the listeners stay where they were`);
      restore(c, previous);
    }
    if (blocked) c.engine.blocking.unblock(c, null);
  });
}

/** C's strerror for the errors a rewrite can meet; Node's own message otherwise. */
function strerror(err: NodeJS.ErrnoException): string {
  const texts: Record<string, string> = {
    EACCES: 'Permission denied',
    ENOENT: 'No such file or directory',
    EROFS: 'Read-only file system',
    ENOSPC: 'No space left on device',
  };
  return texts[err.code ?? ''] ?? err.message;
}

function configRewrite(c: Connection): void {
  const broker = c.broker;
  if (broker.config.file === '') return c.reply.error(NO_CONFIG_FILE);
  try {
    rewriteConfigFile(broker.config);
  } catch (err) {
    broker.log.warn(`CONFIG REWRITE failed: ${(err as Error).message}`);
    return c.reply.error(CONFIG_REWRITE_FAILED(strerror(err as NodeJS.ErrnoException)));
  }
  broker.log.info('CONFIG REWRITE executed with success.');
  c.reply.ok();
}

function configResetStat(c: Connection): void {
  c.broker.resetStats();
  c.reply.ok();
}

const HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

function configHelp(c: Connection, argv: string[]): void {
  replyHelp(c.reply, argv[0], HELP);
}

export const configCommands: readonly CommandDef<Connection>[] = [
  { name: 'config|get', handler: configGet },
  { name: 'config|set', handler: configSet },
  { name: 'config|resetstat', handler: configResetStat },
  { name: 'config|rewrite', handler: configRewrite },
  { name: 'config|help', handler: configHelp },
];
