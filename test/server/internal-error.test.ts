/**
 * A handler that throws (a bug) must not crash the broker nor desynchronize the
 * client: the partial reply is dropped, an error replaces it, later commands work.
 * The same for failures around commands, in socket events, the cron and timers; and
 * what no guard catches crashes the process with a report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { spawnBroker } from '../harness/servers.js';
import { suiteBroker } from '../harness/suite.js';
import { until } from '../harness/wait.js';

describe('a command handler that throws', () => {
  const broker = suiteBroker();
  const reported: string[] = [];
  beforeAll(() => {
    broker.broker.engine.onInternalError = (_err, command) => reported.push(command);
    const echo = broker.broker.commands.get('echo')!;
    echo.handler = (c, argv) => {
      c.reply.array(2);
      c.reply.bulk(argv[1]);
      if (argv[1] === 'boom') throw new Error('handler bug');
      c.reply.bulk('second');
    };
  });

  it('answers with an error instead of half a reply, and keeps serving', async () => {
    const client = await RawClient.connect(broker.port);
    client.write('*2\r\n$4\r\nECHO\r\n$4\r\nboom\r\n*1\r\n$4\r\nPING\r\n');
    expect((await client.read()).raw.toString()).toBe("-ERR internal error executing 'echo'\r\n");
    expect((await client.read()).raw.toString()).toBe('+PONG\r\n');
    expect((await client.call('ECHO', 'fine')).raw.toString()).toBe('*2\r\n$4\r\nfine\r\n$6\r\nsecond\r\n');
    expect(reported).toEqual(['echo']);
    client.close();
  });
});

describe('internal errors outside command handlers', () => {
  const broker = suiteBroker(['--hz', '100']);

  it('dispatch failing before the command answers: an error reply, and the client goes on', async () => {
    const b = broker.broker;
    const lookup = b.commands.lookup.bind(b.commands);
    b.commands.lookup = (argv) => {
      if (argv[0] === 'boom') throw new Error('dispatch bug');
      return lookup(argv);
    };
    const client = await RawClient.connect(broker.port);
    client.write('*1\r\n$4\r\nboom\r\n*1\r\n$4\r\nPING\r\n');
    expect((await client.read()).raw.toString()).toBe("-ERR internal error executing 'boom'\r\n");
    expect((await client.read()).raw.toString()).toBe('+PONG\r\n');
    b.commands.lookup = lookup;
    client.close();
  });

  it('dispatch failing after the command answered: no second reply, the client stays in step', async () => {
    const b = broker.broker;
    const record = b.dispatcher.recordCall.bind(b.dispatcher);
    b.dispatcher.recordCall = (c, command, ...rest) => {
      if (command.fullname === 'echo') throw new Error('accounting bug');
      record(c, command, ...rest);
    };
    const client = await RawClient.connect(broker.port);
    expect((await client.call('ECHO', 'x')).raw.toString()).toBe('$1\r\nx\r\n');
    expect((await client.call('PING')).raw.toString()).toBe('+PONG\r\n');
    b.dispatcher.recordCall = record;
    client.close();
  });

  it('a socket event failing (the parser throwing) drops that client only', async () => {
    const b = broker.broker;
    const victim = await RawClient.connect(broker.port);
    await victim.call('PING');
    const other = await RawClient.connect(broker.port);
    const c = [...b.connections.values()].find((x) => x.lastCommand === 'ping')!;
    c.parser.feed = () => {
      throw new Error('parser bug');
    };
    victim.write('PING\r\n');
    await until('the victim closed', () => victim.closed);
    expect((await other.call('PING')).raw.toString()).toBe('+PONG\r\n');
    other.close();
  });

  it('accepting a client failing drops that connection, the next one is served', async () => {
    const b = broker.broker;
    const int = b.config.int.bind(b.config);
    let fail = true;
    b.config.int = (name) => {
      if (name === 'tcp-keepalive' && fail) {
        fail = false;
        throw new Error('accept bug');
      }
      return int(name);
    };
    const dropped = await RawClient.connect(broker.port);
    await until('the dropped connection closed', () => dropped.closed);
    const next = await RawClient.connect(broker.port);
    expect((await next.call('PING')).raw.toString()).toBe('+PONG\r\n');
    b.config.int = int;
    next.close();
  });

  it('the cron failing carries on ticking', async () => {
    const engine = broker.broker.engine;
    const cycle = engine.activeExpireCycle.bind(engine);
    let calls = 0;
    engine.activeExpireCycle = () => {
      calls++;
      throw new Error('cron bug');
    };
    await until('three cron ticks', () => calls >= 3);
    engine.activeExpireCycle = cycle;
  });

  it('a blocking timeout failing answers with an error and lets the client go on', async () => {
    const b = broker.broker;
    const blpop = b.commands.get('blpop')!;
    const handler = blpop.handler!;
    blpop.handler = (c, argv) => {
      handler(c, argv);
      const wait = (b.engine.blocking as unknown as { waits: Map<unknown, { spec: { timedOut(): void } }> }).waits.get(c);
      if (wait !== undefined) {
        wait.spec.timedOut = () => {
          throw new Error('timeout bug');
        };
      }
    };
    const client = await RawClient.connect(broker.port);
    expect((await client.call('BLPOP', 'nothing', '0.05')).raw.toString()).toBe("-ERR internal error executing 'blocking timeout'\r\n");
    expect((await client.call('PING')).raw.toString()).toBe('+PONG\r\n');
    blpop.handler = handler;
    client.close();
  });
});

describe('an exception no guard catches', () => {
  it('crashes the process with a report, as redis-server on a bug (DEBUG PANIC)', async () => {
    const server = await spawnBroker(['--enable-debug-command', 'yes']);
    const client = await RawClient.connect(server.port);
    client.write('*2\r\n$5\r\nDEBUG\r\n$5\r\nPANIC\r\n');
    const exitCode = await new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    expect(exitCode).toBe(1);
    expect(server.output()).toContain('=== BROKER BUG REPORT START: Cut & paste starting from here ===');
    expect(server.output()).toContain('Guru Meditation: DEBUG PANIC called at Unix time');
    client.close();
  });
});
