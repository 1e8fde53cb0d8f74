/** Running engine commands in-process, without a broker or a socket, for unit tests. */
import { Client } from '../../engine/client.js';
import { CommandTable } from '../../engine/command.js';
import { engineCommands } from '../../engine/commands/index.js';
import type { Engine } from '../../engine/engine.js';

/** A function that runs one command line on `engine` as one client and returns its reply as text; an unknown command or a wrong arity throws. */
export function engineRunner(engine: Engine): (...argv: string[]) => string {
  const table = new CommandTable<Client>();
  table.register(engineCommands);
  const client = new Client(engine, 1);
  return (...argv) => {
    const found = table.lookup(argv);
    if (found.error !== undefined) throw new Error(found.error);
    engine.call(client, found.command, argv);
    return Buffer.concat(client.reply.take()).toString();
  };
}
