/**
 * `messages` frames made straight from the RESP bytes of a stream read's reply
 * (`XREADGROUP` or `XREAD` of one stream, in RESP2 as the gateway's engine links speak
 * it), never decoding the reply into strings: the gateway's delivery path
 * (broker/gateway/consume.ts, read.ts). Each entry's ID and fields are copied byte for
 * byte into the frame, which is the one gateway-frames.ts's `encodeProtobuf` or
 * `encodeJson` makes of the decoded reply, byte for byte
 * (test/gateway/delivery.test.ts checks it). Decoding the link's reply and encoding a
 * frame from its strings cost the broker more CPU per delivered entry than the read
 * itself (README, "Performance").
 *
 * Only what a read of new entries replies is handled here (an array of one stream's
 * entries, or nil); anything else (an error, a pending entry deleted from the stream,
 * whose fields are nil) is left to the caller's decoding path. Node only (Buffer):
 * the broker's side of the protocol.
 */
import { fieldNumber, putVarint, varintSize } from './gateway-frames.js';

export type Encoding = 'json' | 'protobuf';

/** A read's entries as one frame. */
export interface EncodedDelivery {
  /** The `messages` frame, null when the read found nothing. */
  frame: Buffer | null;
  /** Entries in it. */
  count: number;
  /** The last entry's ID (latin1), '' when none. */
  lastId: string;
}

const NOTHING: EncodedDelivery = { frame: null, count: 0, lastId: '' };

const CR = 13;
const LF = 10;
/** A header that is not the type expected, or malformed. */
const MISMATCH = -2;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
/** The fields' keys (tag varints) the frame is written with. */
const FRAME_KEY = (fieldNumber('Frame', 'messages') << 3) | WIRE_LEN;
const SUB_KEY = (fieldNumber('messages', 'sub') << 3) | WIRE_LEN;
const MESSAGE_KEY = (fieldNumber('messages', 'messages') << 3) | WIRE_LEN;
const ID_KEY = (fieldNumber('Message', 'id') << 3) | WIRE_LEN;
const FIELD_KEY = (fieldNumber('Message', 'fields') << 3) | WIRE_LEN;
const DELIVERIES_KEY = (fieldNumber('Message', 'deliveries') << 3) | WIRE_VARINT;

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Where a reply's entries lie, from one pass over its headers: per entry its ID's
 * offset and length, its field count, then each field's offset and length. Reused from
 * read to read (the broker runs one read's reply at a time).
 */
let spans = new Int32Array(4096);
let spanCount = 0;
/** The last entry's ID in the reply scanned last. */
let lastIdStart = 0;
let lastIdLen = 0;

function record(value: number): void {
  if (spanCount === spans.length) {
    const grown = new Int32Array(spans.length * 2);
    grown.set(spans);
    spans = grown;
  }
  spans[spanCount++] = value;
}

/** A read position in a reply, over RESP2 headers. */
class Scanner {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  /** The number of a `<type><n>\r\n` header, and moves past it; MISMATCH for another type or a malformed line. */
  header(type: number): number {
    const buf = this.buf;
    let i = this.pos;
    if (buf[i] !== type) return MISMATCH;
    i++;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    let n = 0;
    const first = i;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (c === CR) break;
      if (c < 0x30 || c > 0x39) return MISMATCH;
      n = n * 10 + (c - 0x30);
    }
    if (i === first || i + 1 >= buf.length || buf[i + 1] !== LF) return MISMATCH;
    this.pos = i + 2;
    return negative ? -n : n;
  }

  /** A bulk string's body of `len` bytes and its CRLF: its offset, or MISMATCH when it overruns. */
  body(len: number): number {
    const start = this.pos;
    this.pos += len + 2;
    return this.pos <= this.buf.length ? start : MISMATCH;
  }
}

/** Records the entries of a read reply in `spans`; their count, or MISMATCH when the reply is not a plain read of entries. */
function scanRead(raw: Buffer): number {
  spanCount = 0;
  const s = new Scanner(raw);
  const streams = s.header(0x2a);
  if (streams === -1) return 0;
  if (streams !== 1 || s.header(0x2a) !== 2) return MISMATCH;
  const keyLen = s.header(0x24);
  if (keyLen < 0 || s.body(keyLen) === MISMATCH) return MISMATCH;
  const count = s.header(0x2a);
  if (count < 0) return MISMATCH;
  for (let e = 0; e < count; e++) {
    if (s.header(0x2a) !== 2) return MISMATCH;
    const idLen = s.header(0x24);
    const idStart = idLen < 0 ? MISMATCH : s.body(idLen);
    // A nil field list (an entry deleted while pending) is the decoding path's to handle.
    const fields = s.header(0x2a);
    if (idStart === MISMATCH || fields < 0) return MISMATCH;
    record(idStart);
    record(idLen);
    record(fields);
    lastIdStart = idStart;
    lastIdLen = idLen;
    for (let f = 0; f < fields; f++) {
      const len = s.header(0x24);
      const start = len < 0 ? MISMATCH : s.body(len);
      if (start === MISMATCH) return MISMATCH;
      record(start);
      record(len);
    }
  }
  return s.pos === raw.length ? count : MISMATCH;
}

/** Encodes the `messages` frames of one subscription. */
export class DeliveryEncoder {
  /** The frame's fixed start: the sub field (protobuf), or the JSON up to the messages' array. */
  private readonly head: Buffer;

  constructor(
    sub: string,
    private readonly encoding: Encoding,
  ) {
    if (encoding === 'protobuf') {
      const name = Buffer.from(sub, 'utf8');
      this.head = Buffer.alloc(name.length === 0 ? 0 : varintSize(SUB_KEY) + varintSize(name.length) + name.length);
      if (name.length !== 0) putBytes(this.head, 0, SUB_KEY, name, 0, name.length);
    } else {
      this.head = Buffer.from(`{"type":"messages"${sub === '' ? '' : `,"sub":${JSON.stringify(sub)}`},"messages":[`, 'utf8');
    }
  }

  /**
   * The entries of an XREADGROUP or XREAD reply (`raw`, one stream's) as a `messages`
   * frame, each message with `deliveries` (1 for entries new to a group, 0 without a
   * group); null when the reply is not entries to deliver as they are (an error, a
   * deleted entry): the caller decodes it.
   */
  encode(raw: Buffer, deliveries: number): EncodedDelivery | null {
    const count = scanRead(raw);
    if (count === MISMATCH) return null;
    if (count === 0) return NOTHING;
    const frame = this.encoding === 'protobuf' ? protobufFrame(raw, count, this.head, deliveries) : jsonFrame(raw, count, this.head, deliveries);
    return { frame, count, lastId: raw.latin1Slice(lastIdStart, lastIdStart + lastIdLen) };
  }
}

// ---- Protobuf ---------------------------------------------------------------------

/** Each message's encoded size, from the first pass to the second. */
let sizes = new Int32Array(1024);

/** A `Message`'s encoded size for the entry recorded at `at` (proto3: an empty ID is left out). */
function messageSize(at: number, deliveries: number): number {
  const idLen = spans[at + 1];
  let size = idLen === 0 ? 0 : varintSize(ID_KEY) + varintSize(idLen) + idLen;
  const fields = spans[at + 2];
  for (let f = 0; f < fields; f++) {
    const len = spans[at + 4 + 2 * f];
    size += varintSize(FIELD_KEY) + varintSize(len) + len;
  }
  if (deliveries !== 0) size += varintSize(DELIVERIES_KEY) + varintSize(deliveries);
  return size;
}

/** Below this many bytes a loop copies faster than Buffer.copy, whose every call makes a view. */
const LOOP_COPY_MAX = 128;

/** `len` bytes of `src` from `start` into `dst` at `pos`; returns the offset after them. */
function copyBytes(src: Buffer, start: number, len: number, dst: Buffer, pos: number): number {
  if (len >= LOOP_COPY_MAX) return pos + src.copy(dst, pos, start, start + len);
  for (let i = 0; i < len; i++) dst[pos + i] = src[start + i];
  return pos + len;
}

/** A length-delimited field: its key, the length, the bytes. */
function putBytes(out: Buffer, pos: number, key: number, src: Buffer, start: number, len: number): number {
  pos = putVarint(out, putVarint(out, pos, key), len);
  return copyBytes(src, start, len, out, pos);
}

/** The frame in two passes: the sizes (length prefixes come first), then the bytes into a buffer of the exact size. */
function protobufFrame(raw: Buffer, count: number, head: Buffer, deliveries: number): Buffer {
  if (sizes.length < count) sizes = new Int32Array(Math.max(count, sizes.length * 2));
  let body = head.length;
  for (let e = 0, at = 0; e < count; e++, at += 3 + 2 * spans[at + 2]) {
    const size = messageSize(at, deliveries);
    sizes[e] = size;
    body += varintSize(MESSAGE_KEY) + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(varintSize(FRAME_KEY) + varintSize(body) + body);
  let pos = putVarint(out, putVarint(out, 0, FRAME_KEY), body);
  pos = copyBytes(head, 0, head.length, out, pos);
  for (let e = 0, at = 0; e < count; e++, at += 3 + 2 * spans[at + 2]) {
    pos = putVarint(out, putVarint(out, pos, MESSAGE_KEY), sizes[e]);
    const idLen = spans[at + 1];
    if (idLen !== 0) pos = putBytes(out, pos, ID_KEY, raw, spans[at], idLen);
    const fields = spans[at + 2];
    for (let f = 0; f < fields; f++) pos = putBytes(out, pos, FIELD_KEY, raw, spans[at + 3 + 2 * f], spans[at + 4 + 2 * f]);
    if (deliveries !== 0) pos = putVarint(out, putVarint(out, pos, DELIVERIES_KEY), deliveries);
  }
  return out;
}

// ---- JSON -------------------------------------------------------------------------

/** JSON text written into a buffer that grows; each frame is copied out at its size. */
let json = Buffer.allocUnsafe(64 * 1024);
let jsonPos = 0;
const JSON_KEEP = 1024 * 1024;

function room(n: number): void {
  if (jsonPos + n <= json.length) return;
  let size = json.length * 2;
  while (size < jsonPos + n) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  json.copy(grown, 0, 0, jsonPos);
  json = grown;
}

function ascii(text: string): void {
  room(text.length);
  jsonPos += json.latin1Write(text, jsonPos);
}

/**
 * Bytes as a JSON string of their UTF-8 text, as encodeJson writes a bytes field:
 * copied as they are when every byte is printable ASCII that JSON does not escape,
 * else decoded (invalid sequences as U+FFFD, as TextDecoder does) and escaped by
 * JSON.stringify.
 */
function jsonString(raw: Buffer, start: number, len: number): void {
  const end = start + len;
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = raw[i];
    if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) {
    room(len + 2);
    json[jsonPos++] = 0x22;
    jsonPos = copyBytes(raw, start, len, json, jsonPos);
    json[jsonPos++] = 0x22;
    return;
  }
  const text = JSON.stringify(utf8Decoder.decode(raw.subarray(start, end)));
  room(Buffer.byteLength(text, 'utf8'));
  jsonPos += json.write(text, jsonPos, 'utf8');
}

function jsonFrame(raw: Buffer, count: number, head: Buffer, deliveries: number): Buffer {
  jsonPos = 0;
  room(head.length);
  jsonPos = copyBytes(head, 0, head.length, json, 0);
  for (let e = 0, at = 0; e < count; e++, at += 3 + 2 * spans[at + 2]) {
    ascii(e === 0 ? '{' : ',{');
    // Zero values are left out, as encodeJson does; `sep` is what precedes the next key.
    let sep = '';
    if (spans[at + 1] !== 0) {
      ascii('"id":');
      jsonString(raw, spans[at], spans[at + 1]);
      sep = ',';
    }
    const fields = spans[at + 2];
    if (fields !== 0) {
      ascii(`${sep}"fields":[`);
      for (let f = 0; f < fields; f++) {
        if (f !== 0) ascii(',');
        jsonString(raw, spans[at + 3 + 2 * f], spans[at + 4 + 2 * f]);
      }
      ascii(']');
      sep = ',';
    }
    if (deliveries !== 0) ascii(`${sep}"deliveries":${deliveries}`);
    ascii('}');
  }
  ascii(']}');
  const out = Buffer.allocUnsafe(jsonPos);
  json.copy(out, 0, 0, jsonPos);
  // A buffer grown for one huge frame does not keep its memory.
  if (json.length > JSON_KEEP) json = Buffer.allocUnsafe(64 * 1024);
  return out;
}
