#!/usr/bin/env node
/** The `broker` executable: flags and config file as redis-server takes them. */
import { Broker, ListenError } from './server.js';
import { ConfigError } from './config.js';
import { PersistenceStartError } from './aof/persistence.js';
import { checkAofMain } from './aof/check.js';

async function main(): Promise<void> {
  // `broker check-aof [--fix] <dir>`: the redis-check-aof of this broker's AOF.
  if (process.argv[2] === 'check-aof') process.exit(checkAofMain(process.argv.slice(3)));
  let broker: Broker;
  try {
    broker = new Broker({ args: process.argv.slice(2) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // SHUTDOWN and the signals stop the broker through the same path; then the process goes.
  broker.onShutdown = () => process.exit(0);
  // Handlers go in before start-up so that a signal during it (the port may already be
  // open while the AOF loads) is not the default, status-less death. Until start-up is
  // done nothing has been acknowledged to a client, so the process just exits.
  let started = false;
  const shutdown = (signal: string): void => {
    if (!started) {
      broker.log.warn(`Received ${signal} during start-up, exiting now`);
      broker.log.flush();
      process.exit(0);
    }
    broker.log.info(`Received ${signal} scheduling shutdown...`);
    void broker.shutdown({ save: false, nosave: false, now: false, force: false }).then((error) => {
      // A failed final save does not keep a signalled process alive.
      if (error !== null) process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await broker.start();
  } catch (err) {
    if (!(err instanceof ListenError) && !(err instanceof PersistenceStartError)) throw err;
    broker.log.fatal(err.message);
    // pino writes asynchronously to a file: let it finish before exiting.
    broker.log.flush();
    process.exit(1);
  }
  started = true;
}

void main();
