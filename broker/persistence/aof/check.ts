/**
 * `broker check-aof [--fix] <dir>`: checks an AOF directory as redis-check-aof checks
 * a multi-part AOF, with its report lines: the manifest, then the base file (an RDB
 * base, redis-server's or ours, is parsed and its checksum verified; a RESP base is
 * read as commands),
 * then each incremental file, command by command, MULTI blocks included.
 *
 * A file that ends inside a command, or has bytes that are not a command, is valid
 * up to its last complete command; `--fix` cuts it there (without asking, unlike
 * redis-check-aof), which is only allowed for the last file: cutting an earlier one
 * would lose the files after it. A damaged snapshot base cannot be repaired by
 * cutting. Exit status 0 when everything is valid (or was fixed), 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from '../../../engine/engine.js';
import { FormatError } from '../../../engine/persist/bytes.js';
import { isSnapshot, loadSnapshot } from '../../../engine/persist/snapshot.js';
import { CommandStream } from '../loader.js';
import { Manifest, ManifestError, type AofFileInfo } from './manifest.js';
import { AofFormatError } from './resp-log.js';
import { strerror } from '../strerror.js';
import { CHECK_DATABASES } from '../check-rdb.js';

type Print = (line: string) => void;


interface Analysis {
  size: number;
  /** Offset just past the last complete command (or the whole file when valid). */
  okUpTo: number;
  /** Lines up to there (a RESP file's `ok_up_to_line`). */
  okLines: number;
  /** Why it is not valid, when it is not. */
  problem: string | null;
}

const CHECK_AOF_USAGE =
  'Usage: broker check-aof [--fix] <dir>\n' +
  '  <dir>: the AOF directory (appendonlydir), or its manifest file\n' +
  '  --fix: truncate a damaged last file after its last complete command (without asking)\n';

export function checkAofMain(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CHECK_AOF_USAGE);
    return 0;
  }
  const fix = args.includes('--fix');
  const rest = args.filter((a) => a !== '--fix');
  if (rest.length !== 1) {
    process.stderr.write(CHECK_AOF_USAGE);
    return 1;
  }
  // A manifest file stands for its directory (redis-check-aof takes the manifest).
  const target = rest[0].endsWith('.manifest') && fs.existsSync(rest[0]) && fs.statSync(rest[0]).isFile() ? path.dirname(rest[0]) : rest[0];
  return checkAof(target, fix, (line) => process.stdout.write(`${line}\n`));
}

export function checkAof(dir: string, fix: boolean, print: Print): number {
  let manifestFile: string;
  try {
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.manifest') && !n.startsWith('temp-'));
    if (names.length !== 1) {
      print(names.length === 0 ? `No manifest found in ${dir}` : `Several manifests in ${dir}: ${names.join(', ')}`);
      return 1;
    }
    manifestFile = names[0];
  } catch (err) {
    print(`Cannot read the directory ${dir}: ${strerror(err)}`);
    return 1;
  }
  let manifest: Manifest;
  try {
    manifest = Manifest.parse(fs.readFileSync(path.join(dir, manifestFile), 'latin1'));
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    print(err.report().trim());
    return 1;
  }
  print('Start checking Multi Part AOF');
  const files = manifest.loadList();
  if (files.length === 0) {
    print('The manifest lists no base and no incremental file');
    return 1;
  }
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const last = i === files.length - 1;
    const kind = file.type === 'b' ? 'BASE' : 'INCR';
    if (file.type === 'b') print('Start to check BASE AOF.');
    else if (i === 0 || files[i - 1].type === 'b') print('Start to check INCR files.');
    const status = checkFile(dir, file, kind, last, fix, print);
    if (status !== 0) return status;
  }
  print('All AOF files and manifest are valid');
  return 0;
}

function checkFile(dir: string, file: AofFileInfo, kind: string, last: boolean, fix: boolean, print: Print): number {
  const filePath = path.join(dir, file.name);
  let a: Analysis;
  try {
    a = analyze(filePath);
  } catch (err) {
    print(`Cannot open the AOF file ${file.name}: ${strerror(err)}`);
    return 1;
  }
  print(`AOF analyzed: filename=${file.name}, size=${a.size}, ok_up_to=${a.okUpTo}, ok_up_to_line=${a.okLines}, diff=${a.size - a.okUpTo}`);
  if (a.problem === null) {
    print(`${kind} AOF ${file.name} is valid`);
    return 0;
  }
  print(`${kind} AOF ${file.name} is not valid: ${a.problem}`);
  if (a.okUpTo === -1) {
    print(`The snapshot ${file.name} cannot be repaired by truncation: restore it from a backup`);
    return 1;
  }
  if (!fix) {
    print(`AOF ${file.name} is not valid. Use the --fix option to try fixing it.`);
    return 1;
  }
  if (!last) {
    print(`Failed to truncate AOF ${file.name} because it is not the last file`);
    return 1;
  }
  print(`This will shrink the AOF ${file.name} from ${a.size} bytes, with ${a.size - a.okUpTo} bytes, to ${a.okUpTo} bytes`);
  try {
    fs.truncateSync(filePath, a.okUpTo);
  } catch (err) {
    print(`Failed to truncate AOF ${file.name}: ${strerror(err)}`);
    return 1;
  }
  print(`Successfully truncated AOF ${file.name}`);
  return 0;
}

function analyze(filePath: string): Analysis {
  const fd = fs.openSync(filePath, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(16, size));
    fs.readSync(fd, head, 0, head.length, 0);
    return isSnapshot(head) ? analyzeSnapshot(filePath, size) : analyzeResp(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

function analyzeSnapshot(filePath: string, size: number): Analysis {
  const bytes = fs.readFileSync(filePath);
  // Loading into a throw-away engine checks every record, the checksum and the key count.
  const engine = new Engine({ databases: CHECK_DATABASES });
  try {
    const { end } = loadSnapshot(engine.dbs, bytes, { now: 0 });
    if (end !== size) return { size, okUpTo: -1, okLines: 0, problem: `${size - end} bytes after the end of the snapshot` };
    return { size, okUpTo: size, okLines: 0, problem: null };
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    return { size, okUpTo: -1, okLines: 0, problem: `${err.message} at offset ${err.offset}` };
  }
}

function analyzeResp(fd: number, size: number): Analysis {
  const stream = new CommandStream(fd, size);
  let okUpTo = 0;
  let okLines = 0;
  let lines = 0;
  let inMulti = false;
  let beforeMulti = { at: 0, lines: 0 };
  for (;;) {
    let cmd;
    try {
      cmd = stream.next();
    } catch (err) {
      if (!(err instanceof AofFormatError)) throw err;
      const at = inMulti ? beforeMulti : { at: okUpTo, lines: okLines };
      return { size, okUpTo: at.at, okLines: at.lines, problem: `${err.message} at offset ${err.offset}` };
    }
    if (cmd === null || cmd === 'truncated') {
      if (cmd === null && !inMulti) return { size, okUpTo: size, okLines: lines, problem: null };
      const at = inMulti ? beforeMulti : { at: okUpTo, lines: okLines };
      const problem = cmd === null ? 'a MULTI block without EXEC at the end' : `the file ends inside a command (after offset ${okUpTo})`;
      return { size, okUpTo: at.at, okLines: at.lines, problem };
    }
    const args = Array.isArray(cmd.argv) ? cmd.argv : cmd.argv.args;
    lines += 1 + 2 * args.length;
    const name = typeof args[0] === 'string' ? args[0].toLowerCase() : '';
    if (name === 'multi') {
      if (inMulti) return { size, okUpTo: beforeMulti.at, okLines: beforeMulti.lines, problem: `nested MULTI at offset ${okUpTo}` };
      beforeMulti = { at: okUpTo, lines: okLines };
      inMulti = true;
    } else if (name === 'exec') {
      if (!inMulti) return { size, okUpTo, okLines, problem: `EXEC without MULTI at offset ${okUpTo}` };
      inMulti = false;
    }
    okUpTo = cmd.end;
    okLines = lines;
  }
}
