/**
 * `broker check-rdb <file>`: checks an RDB file (or a snapshot of the broker's former
 * BRKSNAP format) as redis-check-rdb does, with its report: the aux fields, the
 * checksum, the counts of keys, expires and keys already expired, or the offset and
 * reason of the first damage. Exit status 0 when the file is valid, 1 otherwise.
 *
 * Where this differs from redis-check-rdb: the file is checked by loading it into a
 * throw-away engine, so a value of a type the engine does not have yet (hash, set,
 * sorted set, module) is reported as an error, where redis-check-rdb accepts it.
 */
import fs from 'node:fs';
import { Engine } from '../../engine/engine.js';
import { FormatError } from '../../engine/persist/bytes.js';
import { loadSnapshot } from '../../engine/persist/snapshot.js';
import { strerror } from './strerror.js';

type Print = (line: string) => void;

/** Databases of the engine a file is test-loaded into: more than any configuration uses in practice. */
export const CHECK_DATABASES = 4096;

const CHECK_RDB_USAGE = 'Usage: broker check-rdb <rdb-file-name>\n  Checks a snapshot file (dump.rdb, or an AOF base) and lists what it holds.\n';

export function checkRdbMain(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CHECK_RDB_USAGE);
    return 0;
  }
  if (args.length !== 1) {
    process.stderr.write(CHECK_RDB_USAGE);
    return 1;
  }
  return checkRdb(args[0], (line) => process.stdout.write(`${line}\n`));
}

function checkRdb(file: string, print: Print): number {
  print(`[offset 0] Checking RDB file ${file}`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    print(`Cannot open the RDB file ${file}: ${strerror(err)}`);
    return 1;
  }
  const engine = new Engine({ databases: CHECK_DATABASES });
  try {
    const { end, keys, expired, aux } = loadSnapshot(engine.dbs, bytes, { now: Date.now() });
    for (const [name, value] of aux ?? []) print(`[info] AUX FIELD ${name} = '${value}'`);
    if (end !== bytes.length) return damaged(print, end, `${bytes.length - end} bytes after the end of the file`);
    let expires = 0;
    for (const db of engine.dbs) expires += db.expiresCount;
    print(`[offset ${end}] Checksum OK`);
    print(`[offset ${end}] \\o/ RDB looks OK! \\o/`);
    print(`[info] ${keys + expired} keys read`);
    print(`[info] ${expires} expires`);
    print(`[info] ${expired} already expired`);
    return 0;
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    return damaged(print, err.offset, err.message);
  }
}

function damaged(print: Print, offset: number, reason: string): number {
  print('--- RDB ERROR DETECTED ---');
  print(`[offset ${offset}] ${reason}`);
  return 1;
}
