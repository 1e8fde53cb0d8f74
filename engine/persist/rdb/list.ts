/**
 * Lists in RDB: `LIST_QUICKLIST_2` as redis-server 7.0 writes it (the node count, then
 * per node its container, 2 for a listpack, and the listpack as a string), and the
 * older `LIST_QUICKLIST` (ziplists), `LIST_ZIPLIST` and `LIST` read.
 *
 * Our list's chunks are not redis-server's quicklist nodes: elements are packed into
 * listpacks of at most 8 KB as `list-max-listpack-size -2` (the default) fills them
 * when elements are appended at the tail (so a list built by RPUSH is written as
 * redis-server writes it); an element larger than that gets a listpack of its own. The node count precedes the
 * nodes, so the listpacks are gathered apart and counted before they are written.
 */
import { ByteWriter } from '../bytes.js';
import { byteLength, bytesToString } from '../../../protocol/packed-string.js';
import { List, type ListView } from '../../types/list.js';
import { RdbType, writeBlob, writeLen, type RdbInput } from './encoding.js';
import { ListpackWriter, listpackStrings, ziplistStrings } from './listpack.js';

/** list-max-listpack-size -2: a quicklist node's listpack stays within 8 KB. */
const NODE_MAX_BYTES = 8192;
/** SIZE_ESTIMATE_OVERHEAD: what quicklist adds to an element's length when it checks the size. */
const INSERT_OVERHEAD = 8;
const CONTAINER_PLAIN = 1;
const CONTAINER_PACKED = 2;

export const LIST_RDB_TYPE = RdbType.ListQuicklist2;

/** Writes a list's value from a view, `maxChunks` of our chunks per `step`. */
export class ListRecordWriter {
  private next = 0;
  private nodes = 0;
  private readonly body = new ByteWriter();
  private readonly lp = new ListpackWriter(NODE_MAX_BYTES * 2);

  constructor(private readonly view: ListView) {}

  step(w: ByteWriter, maxChunks: number): boolean {
    const chunks = this.view.chunks;
    const end = Math.min(chunks.length, this.next + maxChunks);
    const lp = this.lp;
    for (; this.next < end; this.next++) {
      const chunk = chunks[this.next];
      for (let i = 0; i < chunk.length; i++) {
        const element = chunk.at(i);
        // _quicklistNodeAllowInsert: the listpack's bytes, the element's length and 8 bytes of slack.
        if (lp.length > 0 && lp.bytes + byteLength(element) + INSERT_OVERHEAD > NODE_MAX_BYTES) this.flush();
        lp.string(element);
      }
    }
    if (this.next < chunks.length) return false;
    if (lp.length > 0) this.flush();
    writeLen(w, this.nodes);
    w.append(this.body);
    return true;
  }

  private flush(): void {
    writeLen(this.body, CONTAINER_PACKED);
    writeBlob(this.body, this.lp.finish());
    this.lp.reset();
    this.nodes++;
  }
}

/** Reads a list of any type redis-server 7.0 may load; null when it has no elements (redis-server skips such keys). */
export function readList(r: RdbInput, type: RdbType): List | null {
  const list = new List();
  const push = (elements: readonly string[]): void => {
    for (const e of elements) list.push(e, false);
  };
  if (type === RdbType.List) {
    for (let n = r.count(); n > 0; n--) list.push(r.string(), false);
  } else if (type === RdbType.ListZiplist) {
    const at = r.pos;
    push(ziplistStrings(r.blob(), r.base + at));
  } else {
    for (let n = r.count(); n > 0; n--) {
      const container = type === RdbType.ListQuicklist2 ? r.count() : CONTAINER_PACKED;
      if (container !== CONTAINER_PLAIN && container !== CONTAINER_PACKED) r.fail(`quicklist integrity check failed: unknown container ${container}`);
      const at = r.pos;
      const data = r.blob();
      if (data.length === 0) r.fail('empty quicklist node', at);
      if (container === CONTAINER_PLAIN) list.push(bytesToString(data), false);
      else push(type === RdbType.ListQuicklist2 ? listpackStrings(data, r.base + at) : ziplistStrings(data, r.base + at));
    }
  }
  return list.length === 0 ? null : list;
}
