/** Every engine command family, registered into the broker's command table. */
import type { CommandDef } from '../command.js';
import type { Client } from '../client.js';
import { stringCommands } from './string.js';
import { keysCommands } from './keys.js';
import { serverCommands } from './server.js';
import { streamCommands } from './stream.js';
import { listCommands } from './list.js';
import { pubsubCommands } from './pubsub.js';
import { dumpCommands } from './dump.js';
import { hashCommands } from './hash.js';
import { setCommands } from './set.js';
import { zsetCommands } from './zset.js';
import { bitmapCommands } from './bitmap.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { geoCommands } from './geo.js';
import { sortCommands } from './sort.js';

export const engineCommands: readonly CommandDef<Client>[] = [
  ...stringCommands,
  ...keysCommands,
  ...serverCommands,
  ...streamCommands,
  ...listCommands,
  ...pubsubCommands,
  ...dumpCommands,
  ...hashCommands,
  ...setCommands,
  ...zsetCommands,
  ...bitmapCommands,
  ...hyperloglogCommands,
  ...geoCommands,
  ...sortCommands,
];
