/** Every broker-level command family (connection and server administration). */
import type { CommandDef } from '../../engine/command.js';
import type { Connection } from '../connection.js';
import { connectionCommands } from './connection.js';
import { debugCommands } from './debug.js';

export const brokerCommands: readonly CommandDef<Connection>[] = [...connectionCommands, ...debugCommands];
