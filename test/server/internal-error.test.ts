/**
 * A handler that throws (a bug) must not crash the broker nor desynchronize the
 * client: the partial reply is dropped, an error replaces it, later commands work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../harness/raw.js';
import { startBroker, type InProcessBroker } from '../harness/servers.js';

describe('a command handler that throws', () => {
  let broker: InProcessBroker;
  const reported: string[] = [];
  beforeAll(async () => {
    broker = await startBroker();
    broker.broker.engine.onInternalError = (_err, command) => reported.push(command);
    const echo = broker.broker.commands.get('echo')!;
    echo.handler = (c, argv) => {
      c.reply.array(2);
      c.reply.bulk(argv[1]);
      if (argv[1] === 'boom') throw new Error('handler bug');
      c.reply.bulk('second');
    };
  });
  afterAll(() => broker?.stop());

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
