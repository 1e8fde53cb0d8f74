/**
 * HyperLogLog commands, as redis-server 7.0's hyperloglog.c: PFADD, PFCOUNT, PFMERGE,
 * PFDEBUG and PFSELFTEST, over string values laid out by engine/types/hyperloglog.ts.
 *
 * As in redis-server, a HyperLogLog is an ordinary string: GET, SET, DUMP, the AOF and
 * snapshots carry its bytes, and any string passing the header checks is taken for one
 * ("-WRONGTYPE Key is not a valid HyperLogLog string value." otherwise; corrupt sparse
 * opcodes found later answer "-INVALIDOBJ Corrupted HLL object detected").
 *
 * PFCOUNT of one key writes the cardinality it computes into the header's cache: that
 * counts as a change (WATCH sees it, rdb_changes grows) and PFCOUNT itself is then
 * propagated, so replicas and the AOF keep the same bytes; a cached answer changes
 * nothing. PFDEBUG GETREG and TODENSE propagate when they make a value dense.
 *
 * Where this broker differs on purpose: a PFADD that meets a corrupt value after it
 * changed registers for earlier elements answers the error as redis-server does and
 * keeps those changes, but also counts them, so the command propagates and a replica
 * or the AOF, replaying it on the same bytes, ends with the same value (redis-server
 * propagates nothing there, and its replicas keep the value as it was).
 */
import type { Client } from '../client.js';
import type { CommandDef } from '../command.js';
import { StringForm, type Value } from '../keyspace.js';
import { HLL_CORRUPT, HLL_NOT_HLL, PFDEBUG_NO_KEY, PFDEBUG_NOT_SPARSE, PFDEBUG_UNKNOWN, WRONGTYPE } from '../errors.js';
import { isStringValue, LargeString, valueBytes, type StringValue } from '../types/large-string.js';
import {
  cachedCardinality,
  decodeSparse,
  denseAdd,
  denseRegisters,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllCount,
  hllEncoding,
  hllMerge,
  hllSetRegister,
  invalidateCache,
  isHll,
  newHllBytes,
  rawCount,
  selfTestRegisters,
  setCachedCardinality,
  sparseToDense,
  zeroedRawRegisters,
} from '../types/hyperloglog.js';
import { unshareString } from './bitmap.js';
import { notify, NotifyFlag } from '../notify.js';

/** A HyperLogLog found at a key: the string value and its bytes (a JS string's copied). */
interface FoundHll {
  value: StringValue;
  bytes: Buffer;
}

/**
 * isHLLObjectOrReply: whether `v` is a string holding a HyperLogLog; false after the
 * error reply. A LargeString is checked in place: a view of its bytes per PFADD was a
 * tenth of the command's time. An integer-encoded string (digits only) is never one.
 */
function isHllOrReply(c: Client, v: Value): v is StringValue {
  if (!isStringValue(v)) {
    c.reply.error(WRONGTYPE);
    return false;
  }
  if (typeof v === 'string' ? !isHll(valueBytes(v)) : !isHll(v.backing(), v.length)) {
    c.reply.error(HLL_NOT_HLL);
    return false;
  }
  return true;
}

/** The value and its bytes if it is a string holding a HyperLogLog; null after the error reply. */
function hllOrReply(c: Client, v: Value): FoundHll | null {
  return isHllOrReply(c, v) ? { value: v, bytes: valueBytes(v) } : null;
}

/** For a command that changes the value (PFADD, PFDEBUG): the value as a LargeString of its own; null after the error reply. */
function hllToChangeOrReply(c: Client, key: string, v: Value): LargeString | null {
  return isHllOrReply(c, v) ? unshareString(c.db, key, v) : null;
}

function pfadd(c: Client, argv: string[]): void {
  const key = argv[1];
  const v = c.db.lookupWrite(key);
  let hll: LargeString;
  let updated = 0;
  if (v === undefined) {
    hll = LargeString.copyOf(newHllBytes());
    c.db.set(key, hll, false, StringForm.Raw);
    updated++;
  } else {
    const found = hllToChangeOrReply(c, key, v);
    if (found === null) return;
    hll = found;
  }
  const maxBytes = c.engine.settings.hllSparseMaxBytes;
  for (let j = 2; j < argv.length; j++) {
    const result = hllAdd(hll, argv[j], maxBytes);
    if (result === -1) {
      // A corrupt value is refused midway, the registers set so far kept (see the header).
      if (updated > 0) c.engine.changed(updated);
      return c.reply.error(HLL_CORRUPT);
    }
    updated += result;
  }
  if (updated > 0) {
    invalidateCache(hll.editable());
    c.engine.keyChanged(c.db, key, updated);
    notify(c.engine, NotifyFlag.String, 'pfadd', key, c.db.id);
  }
  c.reply.int(updated > 0 ? 1 : 0);
}

function pfcount(c: Client, argv: string[]): void {
  if (argv.length > 2) return pfcountUnion(c, argv);
  const key = argv[1];
  const v = c.db.lookupRead(key);
  // No key: nothing was ever added (PFADD would have made one).
  if (v === undefined) return c.reply.int(0);
  const found = hllOrReply(c, v);
  if (found === null) return;
  const hll = unshareString(c.db, key, found.value);
  // found.bytes has the same bytes as the unshared value (a view of them, or their copy).
  let card = cachedCardinality(found.bytes);
  if (card === -1) {
    card = hllCount(found.bytes);
    if (card === -1) return c.reply.error(HLL_CORRUPT);
    setCachedCardinality(hll.editable(), card);
    // Not a new value, but its cache changed: WATCH sees it and PFCOUNT is propagated.
    c.engine.keyChanged(c.db, key);
  }
  c.reply.int(card);
}

/**
 * PFCOUNT of several keys: the cardinality of their union, computed on raw registers;
 * nothing is written. A dense value cannot be corrupt, so the first one found waits
 * before being decoded: when no other key exists (a key counted with keys not made yet),
 * the union is that value, counted from its packed bytes without the register array.
 * Sparse values are merged when found, so a corrupt one is refused where redis-server
 * refuses it, before the keys after it are looked up.
 */
function pfcountUnion(c: Client, argv: string[]): void {
  let waiting: Buffer | null = null;
  let max: Uint8Array | null = null;
  for (let j = 1; j < argv.length; j++) {
    const v = c.db.lookupRead(argv[j]);
    if (v === undefined) continue;
    const found = hllOrReply(c, v);
    if (found === null) return;
    if (max === null && waiting === null && hllEncoding(found.bytes) === HLL_DENSE) {
      waiting = found.bytes;
      continue;
    }
    if (max === null) max = waiting === null ? zeroedRawRegisters() : denseRegisters(waiting, zeroedRawRegisters());
    if (!hllMerge(max, found.bytes)) return c.reply.error(HLL_CORRUPT);
  }
  if (max === null && waiting !== null) return c.reply.int(hllCount(waiting));
  c.reply.int(rawCount(max ?? zeroedRawRegisters()));
}

function pfmerge(c: Client, argv: string[]): void {
  const max = zeroedRawRegisters();
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = c.db.lookupRead(argv[j]);
    if (v === undefined) continue;
    const found = hllOrReply(c, v);
    if (found === null) return;
    // One dense input makes the result dense at once, saving the conversion later.
    if (hllEncoding(found.bytes) === HLL_DENSE) useDense = true;
    if (!hllMerge(max, found.bytes)) return c.reply.error(HLL_CORRUPT);
  }
  const key = argv[1];
  const v = c.db.lookupWrite(key);
  let hll: LargeString;
  if (v === undefined) {
    hll = LargeString.copyOf(newHllBytes());
    c.db.set(key, hll, false, StringForm.Raw);
  } else {
    // The destination was among the inputs: it is a valid HyperLogLog string.
    hll = unshareString(c.db, key, v as StringValue);
  }
  if (useDense && !sparseToDense(hll)) return c.reply.error(HLL_CORRUPT);
  const maxBytes = c.engine.settings.hllSparseMaxBytes;
  for (let i = 0; i < HLL_REGISTERS; i++) if (max[i] !== 0) hllSetRegister(hll, i, max[i], maxBytes);
  invalidateCache(hll.editable());
  c.engine.keyChanged(c.db, key);
  // A PFADD event: PFMERGE is a PFADD of many registers at once.
  notify(c.engine, NotifyFlag.String, 'pfadd', key, c.db.id);
  c.reply.ok();
}

function pfdebug(c: Client, argv: string[]): void {
  const sub = argv[1];
  const key = argv[2];
  const v = c.db.lookupWrite(key);
  if (v === undefined) return c.reply.error(PFDEBUG_NO_KEY);
  const hll = hllToChangeOrReply(c, key, v);
  if (hll === null) return;
  switch (sub.toLowerCase()) {
    case 'getreg':
      if (!makeDenseOrReply(c, hll)) return;
      c.reply.array(HLL_REGISTERS);
      for (const r of denseRegisters(hll.view())) c.reply.int(r);
      return;
    case 'decode':
      if (hllEncoding(hll.view()) !== HLL_SPARSE) return c.reply.error(PFDEBUG_NOT_SPARSE);
      return c.reply.bulk(decodeSparse(hll.view()));
    case 'encoding':
      return c.reply.simple(hllEncoding(hll.view()) === HLL_DENSE ? 'dense' : 'sparse');
    case 'todense': {
      const wasSparse = hllEncoding(hll.view()) === HLL_SPARSE;
      if (!makeDenseOrReply(c, hll)) return;
      return c.reply.int(wasSparse ? 1 : 0);
    }
    default:
      return c.reply.error(PFDEBUG_UNKNOWN(sub));
  }
}

/** Converts a sparse value to dense, counting the change so it propagates; false after a corrupt-value reply. */
function makeDenseOrReply(c: Client, hll: LargeString): boolean {
  if (hllEncoding(hll.view()) !== HLL_SPARSE) return true;
  if (!sparseToDense(hll)) {
    c.reply.error(HLL_CORRUPT);
    return false;
  }
  c.engine.changed();
  return true;
}

/**
 * PFSELFTEST: redis-server's own checks of the implementation: dense registers read
 * back what was written, and the estimates of a dense and a sparse HyperLogLog fed the
 * same 10,000,000 elements agree and stay within 6 standard errors at each power of 10.
 */
function pfselftest(c: Client): void {
  const random = (): number => Math.floor(Math.random() * 0x80000000);
  const failure = selfTestRegisters(random) ?? selfTestEstimates(c.engine.settings.hllSparseMaxBytes, random);
  if (failure !== null) return c.reply.error(`ERR ${failure}`);
  c.reply.ok();
}

function selfTestEstimates(maxSparseBytes: number, random: () => number): string | null {
  const dense = Buffer.alloc(HLL_DENSE_SIZE);
  dense.write('HYLL', 0, 'latin1');
  const sparse = LargeString.copyOf(newHllBytes());
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  // The elements are j ^ seed as 8 little-endian bytes; j stays below 2^32, so the high half is the seed's.
  const seedLo = random();
  const seedHi = random();
  let checkpoint = 1;
  for (let j = 1; j <= 10_000_000; j++) {
    const lo = (j ^ seedLo) >>> 0;
    const element = String.fromCharCode(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, seedHi & 0xff, (seedHi >>> 8) & 0xff, (seedHi >>> 16) & 0xff, seedHi >>> 24);
    denseAdd(dense, element);
    hllAdd(sparse, element, maxSparseBytes);
    if (j !== checkpoint) continue;
    if (j < maxSparseBytes / 2 && hllEncoding(sparse.view()) !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const estimate = hllCount(dense);
    if (estimate !== hllCount(sparse.view())) return 'TESTFAILED dense/sparse disagree';
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    const abserr = Math.abs(checkpoint - estimate);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}

export const hyperloglogCommands: readonly CommandDef<Client>[] = [
  { name: 'pfadd', handler: pfadd },
  { name: 'pfcount', handler: pfcount },
  { name: 'pfmerge', handler: pfmerge },
  { name: 'pfdebug', handler: pfdebug },
  { name: 'pfselftest', handler: pfselftest },
];
