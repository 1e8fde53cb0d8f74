/** CLIENT: introspection and control of client connections, as redis-server 7.0's. */
import type { CommandDef } from '../../engine/command.js';
import {
  CLIENT_ID_NOT_POSITIVE,
  CLIENT_NAME_CHARACTERS,
  CLIENT_PAUSE_MODE,
  CLIENT_UNBLOCK_REASON,
  INVALID_CLIENT_ID,
  NO_SUCH_CLIENT,
  NO_SUCH_USER,
  NOT_INTEGER,
  SYNTAX,
  TIMEOUT_NEGATIVE,
  TIMEOUT_NOT_INTEGER,
  UNBLOCKED_BY_CLIENT,
  UNKNOWN_CLIENT_TYPE,
} from '../../engine/errors.js';
import { replyHelp, subcommandSyntaxError } from '../../engine/help.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import type { PauseMode } from '../dispatch/pause.js';
import { clientMemoryUsage } from '../net/client-memory.js';
import { SLAB_SIZE } from '../../protocol/reply.js';

const LLONG_MAX = 9223372036854775807;

/** redis-server's validateClientName: printable ASCII without spaces, or empty. */
export function clientNameError(name: string): string | null {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) return CLIENT_NAME_CHARACTERS;
  }
  return null;
}

type ClientType = 'normal' | 'replica' | 'master' | 'pubsub';

/** CLIENT LIST/KILL TYPE names; `slave` is the old name of `replica`. */
function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'master':
      return 'master';
    case 'pubsub':
      return 'pubsub';
    default:
      return null;
  }
}

/** redis-server's getClientType: MONITOR clients count as normal. */
function clientType(c: Connection): ClientType {
  if (c.kind !== 'normal') return c.kind;
  return c.subscriptions !== null ? 'pubsub' : 'normal';
}

/**
 * One CLIENT LIST line, fields and order of redis-server 7.0's catClientInfoString.
 * `running` is the argv of the command being executed when `c` is the caller.
 */
export function clientInfoLine(c: Connection, running: readonly string[] | null = null): string {
  const subscriptions = c.subscriptions;
  const channels = subscriptions?.channel.size ?? 0;
  const patterns = subscriptions?.pattern.size ?? 0;
  const shard = subscriptions?.shard.size ?? 0;
  const blocked = c.engine.blocking.isBlocked(c) || c.heldCommand !== null;
  let flags = '';
  if (c.monitor) flags += 'O';
  else if (c.kind === 'replica') flags += 'S';
  if (c.kind === 'master') flags += 'M';
  if (subscriptions !== null) flags += 'P';
  if (c.multi !== null) flags += 'x';
  if (blocked) flags += 'b';
  const tracking = c.tracking;
  if (tracking !== null) flags += 't';
  if (tracking?.brokenRedirect === true) flags += 'R';
  if (tracking?.bcast === true) flags += 'B';
  if (c.closeAfterReply) flags += 'c';
  if (c.noEvict) flags += 'e';
  if (flags === '') flags = 'N';
  const nowSec = Math.floor(Date.now() / 1000);
  const memory = clientMemoryUsage(c, running);
  // Output not yet handed to the socket is the buffer (obl), written into the shared reply slabs (rbs, and rbp its
  // recent peak); what the socket holds for the kernel, the list (oll, omem).
  const omem = c.socketBytes;
  const obl = memory.output - omem;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} ` +
    `age=${nowSec - Math.floor(c.createdAt / 1000)} idle=${nowSec - Math.floor(c.lastInteraction / 1000)} ` +
    `flags=${flags} db=${c.db.id} sub=${channels} psub=${patterns} ssub=${shard} ` +
    `multi=${c.multi === null ? -1 : c.multi.queue.length} qbuf=${memory.qbuf} qbuf-free=${memory.qbufFree} argv-mem=${memory.argvMem} ` +
    `multi-mem=${memory.multiMem} rbs=${SLAB_SIZE} rbp=${c.outputPeak} obl=${obl} oll=${omem > 0 ? 1 : 0} omem=${omem} tot-mem=${memory.total} ` +
    `events=${omem > 0 ? 'rw' : 'r'} cmd=${c.lastCommand} user=default redir=${tracking === null ? -1 : tracking.redirect} resp=${c.reply.resp}`
  );
}

function clientId(c: Connection): void {
  c.reply.int(c.id);
}

function clientInfo(c: Connection, argv: string[]): void {
  c.reply.verbatim(clientInfoLine(c, argv) + '\n');
}

function clientList(c: Connection, argv: string[]): void {
  const connections = c.broker.connections;
  let selected: Connection[];
  if (argv.length === 4 && argv[2].toLowerCase() === 'type') {
    const type = clientTypeByName(argv[3]);
    if (type === null) return c.reply.error(UNKNOWN_CLIENT_TYPE(argv[3]));
    selected = [...connections.values()].filter((x) => clientType(x) === type);
  } else if (argv.length > 3 && argv[2].toLowerCase() === 'id') {
    selected = [];
    for (const arg of argv.slice(3)) {
      const id = parseInt64(arg);
      if (id === null) return c.reply.error(INVALID_CLIENT_ID);
      const found = connections.get(Number(id));
      if (found !== undefined) selected.push(found);
    }
  } else if (argv.length !== 2) {
    return c.reply.error(SYNTAX);
  } else {
    selected = [...connections.values()];
  }
  let text = '';
  for (const x of selected) text += clientInfoLine(x, x === c ? argv : null) + '\n';
  c.reply.verbatim(text);
}

function clientSetName(c: Connection, argv: string[]): void {
  const error = clientNameError(argv[2]);
  if (error !== null) return c.reply.error(error);
  c.name = argv[2];
  c.reply.ok();
}

function clientGetName(c: Connection): void {
  c.reply.bulkOrNil(c.name === '' ? null : c.name);
}

/** CLIENT KILL ip:port, or CLIENT KILL <filter> <value> ... (ID TYPE USER ADDR LADDR SKIPME). */
function clientKill(c: Connection, argv: string[]): void {
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: ClientType | null = null;
  let id = 0;
  let skipMe = true;
  if (argv.length === 3) {
    addr = argv[2];
    // The old form may kill the caller itself.
    skipMe = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const option = argv[i].toLowerCase();
      if (i + 1 >= argv.length) return c.reply.error(SYNTAX);
      const value = argv[i + 1];
      if (option === 'id') {
        const n = parseInt64(value);
        if (n === null || n < 1) return c.reply.error(CLIENT_ID_NOT_POSITIVE);
        id = Number(n);
      } else if (option === 'type') {
        type = clientTypeByName(value);
        if (type === null) return c.reply.error(UNKNOWN_CLIENT_TYPE(value));
      } else if (option === 'addr') {
        addr = value;
      } else if (option === 'laddr') {
        laddr = value;
      } else if (option === 'user') {
        if (value !== 'default') return c.reply.error(NO_SUCH_USER(value));
      } else if (option === 'skipme') {
        const v = value.toLowerCase();
        if (v !== 'yes' && v !== 'no') return c.reply.error(SYNTAX);
        skipMe = v === 'yes';
      } else {
        return c.reply.error(SYNTAX);
      }
    }
  }
  let killed = 0;
  for (const x of [...c.broker.connections.values()]) {
    if (addr !== null && x.addr !== addr) continue;
    if (laddr !== null && x.laddr !== laddr) continue;
    if (type !== null && clientType(x) !== type) continue;
    if (id !== 0 && x.id !== id) continue;
    if (x === c && skipMe) continue;
    // The caller gets its reply before it goes.
    if (x === c) c.closeAfterReply = true;
    else x.close();
    killed++;
  }
  if (argv.length !== 3) return c.reply.int(killed);
  if (killed === 0) c.reply.error(NO_SUCH_CLIENT);
  else c.reply.ok();
}

/** redis-server's getTimeoutFromObjectOrReply in milliseconds: the absolute end, or an error. */
function parseTimeoutMsOrReply(c: Connection, arg: string): number | null {
  const ms = parseInt64(arg);
  if (ms === null) {
    c.reply.error(TIMEOUT_NOT_INTEGER);
    return null;
  }
  if (ms < 0) {
    c.reply.error(TIMEOUT_NEGATIVE);
    return null;
  }
  const now = Date.now();
  // 0 means no timeout; an end past LLONG_MAX wraps negative in redis-server, i.e. already over.
  if (ms === 0 || Number(ms) > LLONG_MAX - now) return 0;
  return now + Number(ms);
}

function clientPause(c: Connection, argv: string[]): void {
  if (argv.length > 4) return c.reply.error(subcommandSyntaxError(argv));
  let mode: PauseMode = 'all';
  if (argv.length === 4) {
    const m = argv[3].toLowerCase();
    if (m !== 'write' && m !== 'all') return c.reply.error(CLIENT_PAUSE_MODE);
    mode = m;
  }
  const end = parseTimeoutMsOrReply(c, argv[2]);
  if (end === null) return;
  c.broker.pause.start(end, mode);
  c.reply.ok();
}

function clientUnpause(c: Connection): void {
  c.broker.pause.end();
  c.reply.ok();
}

function clientUnblock(c: Connection, argv: string[]): void {
  if (argv.length > 4) return c.reply.error(subcommandSyntaxError(argv));
  let error: string | null = null;
  if (argv.length === 4) {
    const reason = argv[3].toLowerCase();
    if (reason === 'error') error = UNBLOCKED_BY_CLIENT;
    else if (reason !== 'timeout') return c.reply.error(CLIENT_UNBLOCK_REASON);
  }
  const id = parseInt64(argv[2]);
  if (id === null) return c.reply.error(NOT_INTEGER);
  const target = c.broker.connections.get(Number(id));
  c.reply.int(target !== undefined && c.broker.engine.blocking.unblock(target, error) ? 1 : 0);
}

function onOffOrReply(c: Connection, value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  c.reply.error(SYNTAX);
  return null;
}

function clientNoEvict(c: Connection, argv: string[]): void {
  const on = onOffOrReply(c, argv[2]);
  if (on === null) return;
  c.noEvict = on;
  c.reply.ok();
}

/** CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered; ON is. */
function clientReply(c: Connection, argv: string[]): void {
  const mode = argv[2].toLowerCase();
  if (mode === 'on') {
    c.replyMode = 'on';
    c.reply.ok();
  } else if (mode === 'off') {
    c.replyMode = 'off';
  } else if (mode === 'skip') {
    if (c.replyMode !== 'off') c.replyMode = 'skip-next';
  } else {
    c.reply.error(SYNTAX);
  }
}

const HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
];

function clientHelp(c: Connection, argv: string[]): void {
  replyHelp(c.reply, argv[0], HELP);
}

export const clientCommands: readonly CommandDef<Connection>[] = [
  { name: 'client|id', handler: clientId },
  { name: 'client|info', handler: clientInfo },
  { name: 'client|list', handler: clientList },
  { name: 'client|setname', handler: clientSetName },
  { name: 'client|getname', handler: clientGetName },
  { name: 'client|kill', handler: clientKill },
  { name: 'client|pause', handler: clientPause },
  { name: 'client|unpause', handler: clientUnpause },
  { name: 'client|unblock', handler: clientUnblock },
  { name: 'client|no-evict', handler: clientNoEvict },
  { name: 'client|reply', handler: clientReply },
  { name: 'client|help', handler: clientHelp },
];
