/**
 * Connection commands against redis-server: AUTH and HELLO flows with and without
 * `requirepass`, RESET, SELECT, and the CLIENT subcommands whose replies do not
 * depend on the connection (names, REPLY modes, error texts).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { hasRedisServer, NO_REDIS } from '../harness/servers.js';
import { diffSuite, show, suiteServers, type DiffPair } from '../harness/diff.js';
import { encodeCommand } from '../harness/raw.js';

/** HELLO's map carries the connection id, which differs between the two servers. */
function maskId(raw: Buffer): string {
  return show(raw).replace(/(id\\r\\n):\d+/, '$1:N');
}

async function sameMasked(p: DiffPair, ...argv: string[]): Promise<void> {
  const { ours, ref } = await p.both(...argv);
  expect(maskId(ours.raw), `reply to ${argv.join(' ')}`).toBe(maskId(ref.raw));
}

/** Several commands in one write; `replies` is how many replies the reference sends back. */
function pipeline(...commands: string[][]): Buffer {
  return Buffer.concat(commands.map((argv) => encodeCommand(argv)));
}

describe.skipIf(!hasRedisServer())('AUTH and HELLO with requirepass vs redis-server', () => {
  const servers = suiteServers({ ours: ['--requirepass', 'secret'], ref: ['--requirepass', 'secret'] });

  it('refuses commands before AUTH, after the unknown-command and arity checks', async () => {
    const p = await servers.pair();
    for (const argv of [['GET', 'a'], ['PING'], ['ECHO', 'x'], ['SELECT', '1'], ['CLIENT', 'ID'], ['INFO']]) {
      await p.same(...argv);
    }
    await p.same('NOSUCH');
    await p.same('GET');
    await p.same('CLIENT', 'NOSUCH');
    await p.same('QUIT_NOT');
  });

  it('answers HELLO and AUTH errors as redis-server', async () => {
    const p = await servers.pair();
    for (const argv of [
      ['HELLO'],
      ['HELLO', '3'],
      ['HELLO', '4'],
      ['HELLO', '1'],
      ['HELLO', 'x'],
      ['HELLO', '3', 'SETNAME', 'foo'],
      ['HELLO', '3', 'AUTH', 'default', 'wrong'],
      ['HELLO', '3', 'AUTH'],
      ['HELLO', '3', 'AUTH', 'default'],
      ['HELLO', '3', 'foo'],
      ['AUTH'],
      ['AUTH', 'a', 'b', 'c'],
      ['AUTH', 'wrong'],
      ['AUTH', 'default', 'wrong'],
      ['AUTH', 'someone', 'secret'],
      ['GET', 'a'],
    ]) {
      await p.same(...argv);
    }
  });

  it('authenticates with AUTH, stays authenticated after a failed AUTH, and RESET forgets it', async () => {
    const p = await servers.pair();
    await p.same('AUTH', 'secret');
    await p.same('GET', 'a');
    await p.same('AUTH', 'wrong');
    await p.same('GET', 'a');
    await p.same('AUTH', 'default', 'secret');
    await p.same('RESET');
    await p.same('GET', 'a');
    await p.same('CLIENT', 'GETNAME');
  });

  it('applies HELLO options in order: AUTH and SETNAME before a later bad option', async () => {
    const p = await servers.pair();
    await p.same('HELLO', '2', 'AUTH', 'default', 'secret', 'SETNAME', 'a', 'b');
    await p.same('CLIENT', 'GETNAME');
    await sameMasked(p, 'HELLO', '3', 'SETNAME', 'named');
    await p.same('CLIENT', 'GETNAME');
    await p.same('HELLO', '3', 'SETNAME', 'a b');
    await p.same('CLIENT', 'GETNAME', 'x');
    await p.same('RESET');
    await p.same('PING');
  });

  it('switches to RESP3 with HELLO 3 AUTH, and back with RESET', async () => {
    const p = await servers.pair();
    await sameMasked(p, 'HELLO', '3', 'AUTH', 'default', 'secret');
    await p.same('CLIENT', 'GETNAME');
    await p.same('CONFIG', 'GET', 'maxclients');
    await sameMasked(p, 'HELLO');
    await p.same('RESET');
    await sameMasked(p, 'HELLO', '2', 'AUTH', 'default', 'secret');
    await p.same('CONFIG', 'GET', 'maxclients');
  });

  it("keeps redis-server's pre-AUTH protocol limits until AUTH succeeds", async () => {
    const p = await servers.pair();
    const eleven = encodeCommand(['PING', ...Array.from({ length: 10 }, () => 'x')]);
    await p.same('AUTH', 'secret');
    await p.sameRaw(eleven);
    const q = await servers.pair();
    await q.sameRaw(eleven);
    await Promise.all([q.ours.waitClosed(), q.ref.waitClosed()]);
  });

  it('flags the parser unauthenticated exactly while AUTH is needed', async () => {
    const p = await servers.pair();
    await p.same('PING');
    const ours = [...servers.ours.broker.connections.values()].at(-1)!;
    expect(ours.parser.unauthenticated).toBe(true);
    await p.same('AUTH', 'secret');
    expect(ours.parser.unauthenticated).toBe(false);
    await p.same('RESET');
    expect(ours.parser.unauthenticated).toBe(true);
  });
});

describe.skipIf(!hasRedisServer())('connection commands without a password vs redis-server', () => {
  const { servers, p } = diffSuite();

  it('answers AUTH as the nopass default user does', async () => {
    await p.same('AUTH', 'x');
    await p.same('AUTH', 'default', 'anything');
    await p.same('AUTH', 'someone', 'x');
    await sameMasked(p, 'HELLO', '3', 'AUTH', 'default', 'whatever');
    await p.same('HELLO', '3', 'AUTH', 'nobody', 'whatever');
    await p.same('RESET');
  });

  it('selects databases with the same errors', async () => {
    for (const db of ['1', '15', '16', '-1', '01', 'x', '2147483648', '-2147483649', '99999999999999999999', '0']) {
      await p.same('SELECT', db);
    }
  });

  it('sets, validates and clears client names', async () => {
    await p.same('CLIENT', 'GETNAME');
    await p.same('CLIENT', 'SETNAME', 'worker-1');
    await p.same('CLIENT', 'GETNAME');
    for (const bad of ['a b', 'new\nline', '\xe9', '\x7f', 'tab\t']) await p.same('CLIENT', 'SETNAME', bad);
    await p.same('CLIENT', 'GETNAME');
    await p.same('CLIENT', 'SETNAME', '');
    await p.same('CLIENT', 'GETNAME');
    await p.same('CLIENT', 'SETNAME');
    await p.same('CLIENT', 'SETNAME', 'a', 'b');
  });

  it('discards replies under CLIENT REPLY OFF and SKIP exactly as redis-server', async () => {
    // SKIP: only the next command goes unanswered.
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'SKIP'], ['ECHO', '1'], ['ECHO', '2']), 1);
    // OFF: nothing (errors included) until ON, whose +OK is sent; SKIP under OFF is ignored.
    await p.sameRaw(
      pipeline(['CLIENT', 'REPLY', 'OFF'], ['PING'], ['NOSUCH'], ['CLIENT', 'REPLY', 'SKIP'], ['PING'], ['CLIENT', 'REPLY', 'ON'], ['PING']),
      2,
    );
    // SKIP applies to a rejected command too, and SKIP twice skips two commands.
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'SKIP'], ['GET'], ['ECHO', 'a']), 1);
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'SKIP'], ['ECHO', 'a'], ['ECHO', 'b']), 1);
    // ON while a SKIP is pending answers ON itself.
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['ECHO', 'c']), 2);
    await p.same('CLIENT', 'REPLY', 'maybe');
    await p.same('CLIENT', 'REPLY');
    // RESET ends REPLY OFF and answers.
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'OFF'], ['RESET'], ['PING']), 2);
    // Inside EXEC: OFF mutes the rest of the transaction and what follows until ON; SKIP
    // waits for the next command after EXEC. redis-server's array then announces more
    // replies than follow: the later replies complete it, hence the reply counts.
    await p.sameRaw(
      pipeline(['MULTI'], ['CLIENT', 'REPLY', 'OFF'], ['SET', 'k', '1'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'k'], ['EXEC'], ['PING'], ['ECHO', 'x']),
      6,
    );
    await p.sameRaw(pipeline(['MULTI'], ['CLIENT', 'REPLY', 'OFF'], ['SET', 'k', '2'], ['EXEC'], ['PING'], ['CLIENT', 'REPLY', 'ON'], ['PING']), 4);
    await p.sameRaw(pipeline(['MULTI'], ['CLIENT', 'REPLY', 'SKIP'], ['SET', 'k', '3'], ['GET', 'k'], ['EXEC'], ['PING'], ['ECHO', 'x']), 5);
    // A whole transaction under OFF or SKIP: nothing of it is sent, not even EXEC's array.
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'OFF'], ['MULTI'], ['SET', 'k', '4'], ['EXEC'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'k']), 2);
    await p.sameRaw(pipeline(['MULTI'], ['SET', 'k', '5'], ['CLIENT', 'REPLY', 'SKIP'], ['EXEC'], ['GET', 'k']), 3);
  });

  it('mutes the late reply of a command blocked under CLIENT REPLY SKIP or OFF', async () => {
    const q = await servers.pair();
    await p.sameRaw(pipeline(['DEL', 'bl'], ['CLIENT', 'REPLY', 'SKIP'], ['BLPOP', 'bl', '0']), 1);
    await q.same('LPUSH', 'bl', 'x');
    // Had the BLPOP's reply been sent, it would be read here instead of +PONG.
    await p.same('PING');
    await p.sameRaw(pipeline(['CLIENT', 'REPLY', 'OFF'], ['BLPOP', 'bl', '0']), 0);
    await q.same('LPUSH', 'bl', 'y');
    await p.same('CLIENT', 'REPLY', 'ON');
    await q.same('LLEN', 'bl');
    q.close();
  });

  it('rejects bad CLIENT arguments with the same errors', async () => {
    for (const argv of [
      ['CLIENT', 'NO-EVICT', 'x'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'OFF'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'GETREDIR', 'x'],
      ['CLIENT', 'PAUSE'],
      ['CLIENT', 'PAUSE', 'x'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '10', 'foo'],
      ['CLIENT', 'PAUSE', 'x', 'foo'],
      ['CLIENT', 'PAUSE', '1', 'all', 'x'],
      ['CLIENT', 'PAUSE', '99999999999999999999'],
      ['CLIENT', 'UNPAUSE'],
      ['CLIENT', 'UNPAUSE', 'x'],
      ['CLIENT', 'UNBLOCK'],
      ['CLIENT', 'UNBLOCK', 'x'],
      ['CLIENT', 'UNBLOCK', '1', 'foo'],
      ['CLIENT', 'UNBLOCK', 'x', 'foo'],
      ['CLIENT', 'UNBLOCK', '1', 'timeout', 'x'],
      ['CLIENT', 'UNBLOCK', '999999', 'error'],
      ['CLIENT', 'UNBLOCK', '999999'],
      ['CLIENT', 'KILL'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'id'],
      ['CLIENT', 'KILL', 'id', 'x'],
      ['CLIENT', 'KILL', 'id', '0'],
      ['CLIENT', 'KILL', 'id', '-1'],
      ['CLIENT', 'KILL', 'id', '999999'],
      ['CLIENT', 'KILL', 'type', 'foo'],
      ['CLIENT', 'KILL', 'type', 'pubsub'],
      ['CLIENT', 'KILL', 'type', 'master'],
      ['CLIENT', 'KILL', 'user', 'nobody'],
      ['CLIENT', 'KILL', 'user', 'default', 'skipme', 'maybe'],
      ['CLIENT', 'KILL', 'addr', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'laddr', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'maxage', '10'],
      ['CLIENT', 'KILL', 'id', '1', 'type'],
      ['CLIENT', 'KILL', 'skipme', 'yes'],
      ['CLIENT', 'LIST', 'type', 'foo'],
      ['CLIENT', 'LIST', 'type', 'pubsub'],
      ['CLIENT', 'LIST', 'type', 'master'],
      ['CLIENT', 'LIST', 'id', 'x'],
      ['CLIENT', 'LIST', 'id', '999999', '0'],
      ['CLIENT', 'LIST', 'id'],
      ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'LIST', 'type', 'normal', 'id', '1'],
      ['CLIENT', 'ID', 'x'],
      ['CLIENT', 'INFO', 'x'],
      ['CLIENT', 'NOSUCH'],
      ['CLIENT'],
    ]) {
      await p.same(...argv);
    }
  });

  it('pauses and unpauses with a zero timeout as redis-server', async () => {
    await p.same('CLIENT', 'PAUSE', '0');
    await p.same('PING');
    await p.same('CLIENT', 'PAUSE', '0', 'WRITE');
    await p.same('CLIENT', 'UNPAUSE');
  });

  it('resets database, protocol and name with RESET', async () => {
    await p.same('SELECT', '3');
    await p.same('CLIENT', 'SETNAME', 'before');
    await sameMasked(p, 'HELLO', '3');
    await p.same('RESET');
    await p.same('CLIENT', 'GETNAME');
    await p.same('RESET', 'x');
    await p.same('QUIT', 'x');
  });

  it('denies non-loopback clients in protected mode, with no password set', async () => {
    /** Everything a client connecting from 127.0.0.2 receives until the server closes. */
    const fromOtherAddress = (port: number): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
        let received = '';
        socket.on('data', (d) => (received += d.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    const [ours, ref] = await Promise.all([fromOtherAddress(servers.ours.port), fromOtherAddress(servers.ref.port)]);
    expect(ours).toMatch(/^-DENIED Redis is running in protected mode/);
    expect(ours).toBe(ref);
  });

  it('closes the connection after QUIT', async () => {
    const q = await servers.pair();
    await q.same('QUIT');
    await Promise.all([q.ours.waitClosed(), q.ref.waitClosed()]);
  });
});

if (!hasRedisServer()) console.warn(NO_REDIS);
