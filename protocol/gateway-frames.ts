/**
 * The WebSocket gateway's frames (protocol/gateway.proto) and their two encodings: the
 * protobuf wire format (binary messages) and JSON (text messages), one message model
 * for both. Shared by the broker's gateway and the client in clients/, so it uses
 * nothing of Node's: Uint8Array, TextEncoder and TextDecoder run in browsers too.
 *
 * The codec is driven by one table (FRAMES) that mirrors gateway.proto field for field;
 * test/gateway/frames.test.ts checks both against protobufjs reading the .proto file.
 * Hand-written rather than generated so the browser client needs no protobuf runtime
 * (a plain `<script type="module">` imports it as it is). Decoding fills every field
 * (proto3's zero values for absent ones), so a frame is always complete; unknown
 * protobuf fields are skipped, unknown JSON keys refused (a typo is not silently a
 * default). Where JSON differs from proto3's JSON mapping: the oneof member is the
 * `type` key rather than a nested object, and bytes are UTF-8 text rather than base64.
 */

type Scalar = 'string' | 'bytes' | 'uint32' | 'bool';

interface FieldSpec {
  no: number;
  name: string;
  kind: Scalar | 'message';
  repeated: boolean;
}

/** One field: `[number, name, kind]`, a leading `*` on the kind for repeated. */
type FieldRow = readonly [number, string, `${'' | '*'}${Scalar | 'message'}`];

/** `Message` (a delivered message), the one nested message type. */
const MESSAGE_FIELDS: readonly FieldRow[] = [
  [1, 'id', 'string'],
  [2, 'fields', '*bytes'],
  [3, 'deliveries', 'uint32'],
  [4, 'value', 'bytes'],
  [5, 'channel', 'bytes'],
  [6, 'pattern', 'bytes'],
];

/** Each frame type: its number in `Frame.kind` and its fields. */
const FRAME_TABLE = {
  auth: [1, [[1, 'password', 'string']]],
  consume: [
    2,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'stream', 'string'],
      [4, 'group', 'string'],
      [5, 'consumer', 'string'],
      [6, 'create', 'bool'],
      [7, 'batch', 'uint32'],
      [8, 'credit', 'uint32'],
      [9, 'claimIdleMs', 'uint32'],
    ],
  ],
  read: [
    3,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'stream', 'string'],
      [4, 'from', 'string'],
      [5, 'batch', 'uint32'],
      [6, 'credit', 'uint32'],
    ],
  ],
  pop: [
    4,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'list', 'string'],
      [4, 'consumer', 'string'],
      [5, 'processing', 'string'],
      [6, 'credit', 'uint32'],
    ],
  ],
  subscribe: [
    5,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'channels', '*string'],
      [4, 'patterns', '*string'],
      [5, 'credit', 'uint32'],
    ],
  ],
  credit: [
    6,
    [
      [1, 'sub', 'string'],
      [2, 'n', 'uint32'],
    ],
  ],
  ack: [
    7,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'ids', '*string'],
    ],
  ],
  nack: [
    8,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
      [3, 'ids', '*string'],
      [4, 'delayMs', 'uint32'],
    ],
  ],
  produce: [
    9,
    [
      [1, 'ref', 'uint32'],
      [2, 'stream', 'string'],
      [3, 'id', 'string'],
      [4, 'fields', '*bytes'],
      [5, 'maxlen', 'string'],
      [6, 'minid', 'string'],
      [7, 'approximate', 'bool'],
      [8, 'limit', 'uint32'],
      [9, 'noMkStream', 'bool'],
    ],
  ],
  cancel: [
    10,
    [
      [1, 'ref', 'uint32'],
      [2, 'sub', 'string'],
    ],
  ],
  ping: [11, [[1, 'ref', 'uint32']]],
  ready: [
    16,
    [
      [1, 'session', 'string'],
      [2, 'version', 'uint32'],
      [3, 'maxFrameBytes', 'uint32'],
      [4, 'heartbeatMs', 'uint32'],
    ],
  ],
  ok: [17, [[1, 'ref', 'uint32']]],
  messages: [
    18,
    [
      [1, 'sub', 'string'],
      [2, 'messages', '*message'],
    ],
  ],
  produced: [
    19,
    [
      [1, 'ref', 'uint32'],
      [2, 'id', 'string'],
    ],
  ],
  error: [
    20,
    [
      [1, 'ref', 'uint32'],
      [2, 'code', 'string'],
      [3, 'message', 'string'],
      [4, 'sub', 'string'],
      [5, 'ended', 'bool'],
    ],
  ],
  pong: [21, [[1, 'ref', 'uint32']]],
} as const satisfies Record<string, readonly [number, readonly FieldRow[]]>;

export type FrameType = keyof typeof FRAME_TABLE;

/** A delivered message (gateway.proto's `Message`). */
export interface DeliveredMessage {
  id: string;
  fields: Uint8Array[];
  deliveries: number;
  value: Uint8Array;
  channel: Uint8Array;
  pattern: Uint8Array;
}

export interface AuthFrame { type: 'auth'; password: string }
export interface ConsumeFrame {
  type: 'consume';
  ref: number;
  sub: string;
  stream: string;
  group: string;
  consumer: string;
  create: boolean;
  batch: number;
  credit: number;
  claimIdleMs: number;
}
export interface ReadFrame { type: 'read'; ref: number; sub: string; stream: string; from: string; batch: number; credit: number }
export interface PopFrame { type: 'pop'; ref: number; sub: string; list: string; consumer: string; processing: string; credit: number }
export interface SubscribeFrame { type: 'subscribe'; ref: number; sub: string; channels: string[]; patterns: string[]; credit: number }
export interface CreditFrame { type: 'credit'; sub: string; n: number }
export interface AckFrame { type: 'ack'; ref: number; sub: string; ids: string[] }
export interface NackFrame { type: 'nack'; ref: number; sub: string; ids: string[]; delayMs: number }
export interface ProduceFrame {
  type: 'produce';
  ref: number;
  stream: string;
  id: string;
  fields: Uint8Array[];
  maxlen: string;
  minid: string;
  approximate: boolean;
  limit: number;
  noMkStream: boolean;
}
export interface CancelFrame { type: 'cancel'; ref: number; sub: string }
export interface PingFrame { type: 'ping'; ref: number }
export interface ReadyFrame { type: 'ready'; session: string; version: number; maxFrameBytes: number; heartbeatMs: number }
export interface OkFrame { type: 'ok'; ref: number }
export interface MessagesFrame { type: 'messages'; sub: string; messages: DeliveredMessage[] }
export interface ProducedFrame { type: 'produced'; ref: number; id: string }
export interface ErrorFrame { type: 'error'; ref: number; code: string; message: string; sub: string; ended: boolean }
export interface PongFrame { type: 'pong'; ref: number }

export type ClientFrame =
  | AuthFrame
  | ConsumeFrame
  | ReadFrame
  | PopFrame
  | SubscribeFrame
  | CreditFrame
  | AckFrame
  | NackFrame
  | ProduceFrame
  | CancelFrame
  | PingFrame;
export type ServerFrame = ReadyFrame | OkFrame | MessagesFrame | ProducedFrame | ErrorFrame | PongFrame;
export type Frame = ClientFrame | ServerFrame;

/** The subprotocols `GET /ws` offers, one per encoding. */
export const SUBPROTOCOL_JSON = 'streams-broker.v1.json';
export const SUBPROTOCOL_PROTOBUF = 'streams-broker.v1.proto';
export const PROTOCOL_VERSION = 1;

/** A frame that could not be decoded: the gateway closes the session with this text. */
export class FrameError extends Error {}

// ---- The table, indexed ---------------------------------------------------------

function fieldsOf(rows: readonly FieldRow[]): FieldSpec[] {
  return rows.map(([no, name, kind]) => {
    const repeated = kind.startsWith('*');
    return { no, name, kind: (repeated ? kind.slice(1) : kind) as FieldSpec['kind'], repeated };
  });
}

const MESSAGE_SPECS = fieldsOf(MESSAGE_FIELDS);
/** Each field list's specs by field number, for decoding. */
const BY_NUMBER = new Map<FieldSpec[], (FieldSpec | undefined)[]>();
function byNumber(fields: FieldSpec[]): (FieldSpec | undefined)[] {
  let index = BY_NUMBER.get(fields);
  if (index === undefined) {
    index = [];
    for (const f of fields) index[f.no] = f;
    BY_NUMBER.set(fields, index);
  }
  return index;
}
const TYPE_SPECS = new Map<string, { no: number; fields: FieldSpec[] }>();
const TYPE_BY_NUMBER = new Map<number, FrameType>();
for (const [type, [no, rows]] of Object.entries(FRAME_TABLE) as [FrameType, readonly [number, readonly FieldRow[]]][]) {
  TYPE_SPECS.set(type, { no, fields: fieldsOf(rows) });
  TYPE_BY_NUMBER.set(no, type);
}

type Value = string | number | boolean | Uint8Array | Record<string, unknown> | unknown[];

/** Every absent bytes field's value: empty, so nothing can be written into it. */
const NO_BYTES = new Uint8Array(0);

function zeroValue(spec: FieldSpec): Value {
  if (spec.repeated) return [];
  switch (spec.kind) {
    case 'string':
      return '';
    case 'bytes':
      return NO_BYTES;
    case 'uint32':
      return 0;
    case 'bool':
      return false;
    case 'message':
      return {};
  }
}

function withDefaults(fields: FieldSpec[], into: Record<string, unknown>): void {
  for (const spec of fields) if (!(spec.name in into)) into[spec.name] = zeroValue(spec);
}

const utf8Encoder = new TextEncoder();
/** Lenient: invalid UTF-8 in a string field becomes U+FFFD rather than failing the frame. */
const utf8Decoder = new TextDecoder('utf-8');

// ---- Protobuf ---------------------------------------------------------------------

class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  varint(n: number): void {
    if (this.pos + 10 > this.buf.length) this.room(10);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    // At most 3 bytes per UTF-16 unit: encoded in place after room for the longest
    // length prefix, then moved back if the real length's prefix is shorter.
    const max = s.length * 3;
    const room = varintSize(max);
    this.room(room + max + 10);
    const start = this.pos + room;
    const written = utf8Encoder.encodeInto(s, this.buf.subarray(start)).written;
    const prefix = varintSize(written);
    if (prefix < room) this.buf.copyWithin(this.pos + prefix, start, start + written);
    this.varint(written);
    this.pos += written;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** How many bytes `n` takes as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` as a varint at `pos`; returns the offset after it. */
export function putVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

const SCRATCH_KEEP = 1024 * 1024;
const bodyScratch = new Writer(4096);
const messageScratch = new Writer(1024);

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function writeField(w: Writer, spec: FieldSpec, value: unknown): void {
  const values = spec.repeated ? (value as unknown[]) : [value];
  for (const v of values) {
    if (!spec.repeated && isZero(spec, v)) continue;
    if (spec.kind === 'uint32' || spec.kind === 'bool') {
      w.varint((spec.no << 3) | WIRE_VARINT);
      w.varint(spec.kind === 'bool' ? (v === true ? 1 : 0) : (v as number));
      continue;
    }
    w.varint((spec.no << 3) | WIRE_LEN);
    if (spec.kind === 'string') w.string(v as string);
    else if (spec.kind === 'bytes') w.bytes(v as Uint8Array);
    else {
      // Nested messages are encoded in a scratch writer of their own (they nest one deep).
      messageScratch.pos = 0;
      writeFields(messageScratch, MESSAGE_SPECS, v as Record<string, unknown>);
      w.bytes(messageScratch.finish());
    }
  }
}

function isZero(spec: FieldSpec, v: unknown): boolean {
  if (spec.kind === 'bytes') return (v as Uint8Array).length === 0;
  return v === '' || v === 0 || v === false;
}

function writeFields(w: Writer, fields: FieldSpec[], frame: Record<string, unknown>): void {
  for (const spec of fields) {
    const v = frame[spec.name];
    if (v !== undefined) writeField(w, spec, v);
  }
}

/** A frame as a protobuf `Frame` message. */
export function encodeProtobuf(frame: Frame): Uint8Array {
  const type = TYPE_SPECS.get(frame.type)!;
  // The member's body in a reused scratch writer, then copied once into a frame of its exact size.
  bodyScratch.pos = 0;
  writeFields(bodyScratch, type.fields, frame as unknown as Record<string, unknown>);
  const body = bodyScratch.finish();
  const tag = (type.no << 3) | WIRE_LEN;
  const out = new Uint8Array(varintSize(tag) + varintSize(body.length) + body.length);
  out.set(body, putVarint(out, putVarint(out, 0, tag), body.length));
  // A scratch writer grown for one huge frame does not keep its memory.
  if (bodyScratch.buf.length > SCRATCH_KEEP) bodyScratch.buf = new Uint8Array(4096);
  if (messageScratch.buf.length > SCRATCH_KEEP) messageScratch.buf = new Uint8Array(1024);
  return out;
}

class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new FrameError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new FrameError('varint longer than 10 bytes');
  }

  /** Passes over a length-delimited field: returns where its bytes start; they end at `pos`. */
  span(): number {
    const len = this.varint();
    if (len > this.end - this.pos) throw new FrameError('length-delimited field runs past the end of its message');
    const start = this.pos;
    this.pos += len;
    return start;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_LEN) this.span();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (this.end - this.pos < n) throw new FrameError('truncated fixed-width field');
      this.pos += n;
    } else throw new FrameError(`unsupported wire type ${wire}`);
  }
}

function readFields(r: Reader, fields: FieldSpec[], where: string): Record<string, unknown> {
  // Every field from the start, in the table's order: the objects of one type share a shape.
  const out: Record<string, unknown> = {};
  for (const spec of fields) out[spec.name] = zeroValue(spec);
  const index = byNumber(fields);
  while (r.pos < r.end) {
    const tag = r.varint();
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    const spec = index[no];
    if (spec === undefined) {
      r.skip(wire);
      continue;
    }
    const value = readValue(r, spec, wire, where);
    if (spec.repeated) (out[spec.name] as unknown[]).push(value);
    else out[spec.name] = value;
  }
  return out;
}

function readValue(r: Reader, spec: FieldSpec, wire: number, where: string): unknown {
  const varint = spec.kind === 'uint32' || spec.kind === 'bool';
  if (wire !== (varint ? WIRE_VARINT : WIRE_LEN)) throw new FrameError(`field ${where}.${spec.name} has wire type ${wire}`);
  if (varint) {
    const n = r.varint();
    if (spec.kind === 'bool') return n !== 0;
    if (n > 0xffffffff) throw new FrameError(`field ${where}.${spec.name} is out of the uint32 range`);
    return n;
  }
  const start = r.span();
  const end = r.pos;
  if (spec.kind === 'string') return utf8Decoder.decode(r.buf.subarray(start, end));
  // A view, not a copy: a frame's bytes fields share its buffer (a copy each cost more than the rest of the decoding).
  if (spec.kind === 'bytes') return r.buf.subarray(start, end);
  return readFields(new Reader(r.buf, start, end), MESSAGE_SPECS, 'Message');
}

/** A protobuf `Frame`; throws FrameError when it is not one. */
export function decodeProtobuf(bytes: Uint8Array): Frame {
  const r = new Reader(bytes, 0, bytes.length);
  let frame: Record<string, unknown> | null = null;
  while (r.pos < r.end) {
    const tag = r.varint();
    const type = TYPE_BY_NUMBER.get(Math.floor(tag / 8));
    if (type === undefined || (tag & 7) !== WIRE_LEN) {
      r.skip(tag & 7);
      continue;
    }
    const start = r.span();
    const end = r.pos;
    // As protobuf does for a oneof, the last member present wins.
    frame = { type, ...readFields(new Reader(bytes, start, end), TYPE_SPECS.get(type)!.fields, type) };
  }
  if (frame === null) throw new FrameError('the frame has no known type');
  return frame as unknown as Frame;
}

// ---- JSON -------------------------------------------------------------------------

function toJsonValue(spec: FieldSpec, v: unknown): unknown {
  if (spec.repeated) return (v as unknown[]).map((x) => toJsonValue({ ...spec, repeated: false }, x));
  if (spec.kind === 'bytes') return utf8Decoder.decode(v as Uint8Array);
  if (spec.kind === 'message') return toJsonObject(MESSAGE_SPECS, v as Record<string, unknown>, null);
  return v;
}

/** Zero values are left out, as protobuf does: smaller frames, same meaning. */
function toJsonObject(fields: FieldSpec[], frame: Record<string, unknown>, type: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = type === null ? {} : { type };
  for (const spec of fields) {
    const v = frame[spec.name];
    if (v === undefined) continue;
    if (spec.repeated ? (v as unknown[]).length === 0 : isZero(spec, v)) continue;
    out[spec.name] = toJsonValue(spec, v);
  }
  return out;
}

/** A frame as JSON text. */
export function encodeJson(frame: Frame): string {
  const type = TYPE_SPECS.get(frame.type)!;
  return JSON.stringify(toJsonObject(type.fields, frame as unknown as Record<string, unknown>, frame.type));
}

function fromJsonValue(spec: FieldSpec, v: unknown, where: string): unknown {
  const what = `${where}.${spec.name}`;
  switch (spec.kind) {
    case 'string':
      if (typeof v !== 'string') throw new FrameError(`${what} must be a string`);
      return v;
    case 'bytes':
      if (typeof v !== 'string') throw new FrameError(`${what} must be a string`);
      return utf8Encoder.encode(v);
    case 'uint32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FrameError(`${what} must be an integer from 0 to 4294967295`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new FrameError(`${what} must be true or false`);
      return v;
    case 'message':
      return fromJsonObject(MESSAGE_SPECS, v, 'Message');
  }
}

function fromJsonObject(fields: FieldSpec[], v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FrameError(`${where} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const spec = fields.find((f) => f.name === key);
    if (spec === undefined) throw new FrameError(`unknown field ${where}.${key}`);
    if (value === null) continue;
    if (spec.repeated) {
      if (!Array.isArray(value)) throw new FrameError(`${where}.${key} must be an array`);
      out[key] = value.map((x) => fromJsonValue(spec, x, where));
    } else out[key] = fromJsonValue(spec, value, where);
  }
  withDefaults(fields, out);
  return out;
}

/** A frame from JSON text; throws FrameError when it is not one. */
export function decodeJson(text: string): Frame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FrameError(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FrameError('a frame must be a JSON object');
  const type = (parsed as { type?: unknown }).type;
  const spec = typeof type === 'string' ? TYPE_SPECS.get(type) : undefined;
  if (spec === undefined) throw new FrameError(`unknown frame type ${JSON.stringify(type)}`);
  const { type: _, ...fields } = parsed as Record<string, unknown>;
  return { type, ...fromJsonObject(spec.fields, fields, type as string) } as unknown as Frame;
}

/** Builds a frame from the fields given, zero values for the rest. */
export function frame<T extends Frame>(type: T['type'], fields: Partial<Omit<T, 'type'>>): T {
  const out: Record<string, unknown> = { type, ...fields };
  withDefaults(TYPE_SPECS.get(type)!.fields, out);
  return out as unknown as T;
}

/**
 * A field's number in gateway.proto: a frame type's field (`fieldNumber('messages',
 * 'sub')`), a `Message` field (`fieldNumber('Message', 'fields')`), or a frame type's
 * own number in `Frame` (`fieldNumber('Frame', 'messages')`).
 */
export function fieldNumber(message: FrameType | 'Message' | 'Frame', name: string): number {
  const no =
    message === 'Frame'
      ? TYPE_SPECS.get(name)?.no
      : (message === 'Message' ? MESSAGE_SPECS : TYPE_SPECS.get(message)!.fields).find((f) => f.name === name)?.no;
  if (no === undefined) throw new Error(`gateway.proto has no field ${message}.${name}`);
  return no;
}

/** The frame types, with their fields' names (the protocol document's tables are checked against it). */
export function frameTypes(): Map<FrameType, string[]> {
  return new Map([...TYPE_SPECS].map(([type, spec]) => [type as FrameType, spec.fields.map((f) => f.name)]));
}
