/**
 * How the broker ends connections and itself: a connection closed after a protocol
 * error is closed fully even when the peer keeps its side open, a peer that closes its
 * side gets the replies to what it sent and its client ends (blocked or not), and a busy
 * port stops start-up with redis-server's message and exit status 1.
 */
import net from 'node:net';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BROKER_BIN } from '../harness/servers.js';
import { suiteBroker, suiteClient } from '../harness/suite.js';
import { until } from '../harness/wait.js';

describe('closing connections and start-up failures', () => {
  const broker = suiteBroker();
  const admin = suiteClient(broker);

  /** Whether CLIENT LIST still shows a client named `name`. */
  async function listed(name: string): Promise<boolean> {
    return String((await admin.call('CLIENT', 'LIST')).value).includes(` name=${name} `);
  }

  it('answers a peer that closes its side after its commands, then ends the client', async () => {
    const socket = net.connect({ port: broker.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    const ended = new Promise((resolve) => socket.once('end', resolve));
    socket.end('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$9\r\nhalfclose\r\n*1\r\n$4\r\nPING\r\n');
    await ended;
    expect(received).toBe('+OK\r\n+PONG\r\n');
    await until('the half-closed client is gone', async () => !(await listed('halfclose')));
    socket.destroy();
  });

  it('ends a blocked client whose peer closes its side', async () => {
    const socket = net.connect({ port: broker.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$7\r\nblocked\r\n*3\r\n$5\r\nBLPOP\r\n$13\r\nclose:nothing\r\n$1\r\n0\r\n');
    await until('the client blocks', async () => /name=blocked [^\n]*cmd=blpop/.test(String((await admin.call('CLIENT', 'LIST')).value)));
    socket.end();
    await until('the blocked client is gone', async () => !(await listed('blocked')));
    expect(String((await admin.call('INFO', 'clients')).value)).toContain('blocked_clients:0');
    socket.destroy();
  });

  it('closes the socket fully after a protocol error, even if the client keeps its side open', async () => {
    const socket = net.connect({ port: broker.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    const ended = new Promise((resolve) => socket.once('end', resolve));
    socket.write('*x\r\n');
    await ended;
    expect(received).toBe('-ERR Protocol error: invalid multibulk length\r\n');
    // A half-closed server socket would swallow these writes forever; a closed one
    // answers with a reset, which the next write after it reports.
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const writer = setInterval(() => socket.write('PING\r\n'), 20);
    await closed;
    clearInterval(writer);
  });

  it('exits with status 1 and redis-server\'s message when the port is taken', async () => {
    const child = spawn(process.execPath, [BROKER_BIN, '--port', String(broker.port), '--bind', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const status = await new Promise((resolve) => child.once('exit', resolve));
    expect(status).toBe(1);
    expect(output).toContain(`Could not create server TCP listening socket 127.0.0.1:${broker.port}: bind: Address already in use`);
    expect(output).toContain(`Failed listening on port ${broker.port} (tcp), aborting.`);
  });
});
