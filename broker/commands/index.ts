/** Every broker-level command family (connection and server administration). */
import type { CommandDef } from '../../engine/command.js';
import type { Connection } from '../net/connection.js';
import { connectionCommands } from './connection.js';
import { clientCommands } from './client.js';
import { infoCommands } from './info.js';
import { configCommands } from './config.js';
import { commandCommands } from './command.js';
import { adminCommands } from './admin.js';
import { slowlogCommands } from './slowlog.js';
import { latencyCommands } from './latency.js';
import { debugCommands } from './debug.js';
import { transactionCommands } from './transaction.js';
import { persistenceCommands } from './persistence.js';
import { moduleCommands } from './module.js';
import { lolwutCommands } from './lolwut.js';
import { trackingCommands } from './tracking.js';
import { memoryCommands } from './memory.js';

export const brokerCommands: readonly CommandDef<Connection>[] = [
  ...connectionCommands,
  ...clientCommands,
  ...trackingCommands,
  ...infoCommands,
  ...configCommands,
  ...commandCommands,
  ...adminCommands,
  ...slowlogCommands,
  ...latencyCommands,
  ...debugCommands,
  ...transactionCommands,
  ...persistenceCommands,
  ...moduleCommands,
  ...lolwutCommands,
  ...memoryCommands,
];
