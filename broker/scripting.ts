/**
 * Sets up scripting (engine/scripting/) on a broker: the Lua VM reaches the broker's
 * command table and dispatch (so a script's commands count, show in MONITOR and
 * propagate), and redis.log writes to the broker's log.
 */
import { Scripting } from '../engine/scripting/scripting.js';
import { scriptingCommands } from '../engine/scripting/commands.js';
import { Flag, type Command } from '../engine/command.js';
import type { Connection } from './net/connection.js';
import type { Broker } from './server.js';

export function setUpScripting(broker: Pick<Broker, 'engine' | 'commands' | 'dispatcher' | 'log' | 'config'>): Scripting<Connection> {
  const scripting = new Scripting<Connection>(broker.engine, {
    lookup: (argv) => broker.commands.lookup(argv),
    execute: (c, command, argv) => broker.dispatcher.execute(c, command, argv),
    log: (level, message) => {
      if (level >= 3) broker.log.warn(message);
      else if (level === 2) broker.log.info(message);
      else broker.log.debug(message);
    },
    busyThresholdMs: () => broker.config.int('busy-reply-threshold'),
    outOfMemory: (c) => broker.dispatcher.maxmemory.outOfMemory(c),
  });
  broker.commands.register(scriptingCommands(scripting));
  // Dispatch sees EVAL and FCALL with their script's flags (OOM, CLIENT PAUSE WRITE, disk errors, a follower).
  for (const name of ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']) {
    const command = broker.commands.get(name)!;
    command.flagsFor = (argv) => scripting.commandFlags(command, argv);
  }
  // Only while a script yields: between scripts the gate costs one test per command.
  const gate = (command: Command<Connection>): string | null => scripting.busyRefusal(command.has(Flag.AllowBusy));
  scripting.busyChanged = (busy) => {
    broker.dispatcher.busyGate = busy ? gate : null;
  };
  return scripting;
}
