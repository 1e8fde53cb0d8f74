/**
 * The reply decoder's framing without decoding (`replyEnd`, `ReplyFramer.pushRaw`, what
 * the gateway's engine links read) splits a byte stream where decoding does, however
 * the stream is cut into chunks.
 */
import { describe, expect, it } from 'vitest';
import { decodeWhole, replyEnd, ReplyFramer } from '../../protocol/decoder.js';

const REPLIES = [
  '+OK\r\n',
  '-ERR no\r\n',
  ':-42\r\n',
  '$-1\r\n',
  '$0\r\n\r\n',
  '$4\r\na\r\nb\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n*0\r\n',
  '*1\r\n*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n1-2\r\n*-1\r\n',
  '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n',
  '~2\r\n,1.5\r\n#t\r\n',
  '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n=8\r\ntxt:hey!\r\n',
  '|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n',
  '(12345678901234567890\r\n',
];

describe('replyEnd', () => {
  it('finds the end of each reply, and -1 for any prefix of it', () => {
    for (const text of REPLIES) {
      const buf = Buffer.from(text, 'latin1');
      expect(replyEnd(buf, 0)).toBe(buf.length);
      for (let cut = 0; cut < buf.length; cut++) expect(replyEnd(buf.subarray(0, cut), 0)).toBe(-1);
    }
  });

  it('splits a stream cut anywhere as the decoding framer does', () => {
    const stream = Buffer.from(REPLIES.join(''), 'latin1');
    for (let cut = 0; cut <= stream.length; cut++) {
      const raw = new ReplyFramer();
      const decoding = new ReplyFramer();
      const pieces = [...raw.pushRaw(stream.subarray(0, cut)), ...raw.pushRaw(stream.subarray(cut))];
      const decoded = [...decoding.push(stream.subarray(0, cut)), ...decoding.push(stream.subarray(cut))];
      expect(pieces.map((b) => b.latin1Slice())).toEqual(REPLIES);
      expect(pieces.map((b) => decodeWhole(b))).toEqual(decoded.map((d) => d.value));
    }
  });
});
