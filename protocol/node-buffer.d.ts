// Node's fast latin1 and utf16le codecs exist on every Buffer but are missing from @types/node.
// They skip the encoding dispatch of toString/write, which matters on the hot path.
export {};
declare global {
  // Merging into Buffer needs its type parameter, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Buffer<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
    ucs2Slice(start?: number, end?: number): string;
    ucs2Write(s: string, offset?: number, length?: number): number;
  }
}
