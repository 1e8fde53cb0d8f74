/**
 * A Prometheus scrape on the RESP port: a connection whose first bytes are the
 * request line `GET /metrics HTTP/1.x` gets an HTTP response and is closed, so one
 * port is enough. Anything else stays RESP, and the cross-protocol protection stays:
 * other HTTP requests still reach the dispatcher, which closes on POST and Host:
 * lines as redis-server does. A RESP client never sends `GET /metrics HTTP/1.1` as an
 * inline command (GET takes one argument): redis-server would answer it with an
 * arity error and close at the Host: line that follows.
 */

export interface HttpRequestHead {
  url: string;
  headers: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Answers a scrape read off the RESP port (the HTTP server's inject, built by main.ts). */
export type RespPortHttp = (head: HttpRequestHead) => Promise<HttpResponse>;

const PREFIX = 'GET /metrics';
const REQUEST_LINE = /^GET (\/metrics(?:\?\S*)?) HTTP\/1\.[01]$/;
/** Longest request head read: beyond it the request is not a scrape. */
const MAX_HEAD = 16 * 1024;

/**
 * What the first bytes of a connection are: `wait` while they could still begin a
 * scrape's request line, `resp` when they cannot, `http` once the line is read.
 */
export function sniff(head: Buffer): 'wait' | 'resp' | 'http' {
  const n = Math.min(head.length, PREFIX.length);
  if (head.toString('latin1', 0, n) !== PREFIX.slice(0, n)) return 'resp';
  const eol = head.indexOf('\r\n');
  if (eol < 0) return head.length < MAX_HEAD ? 'wait' : 'resp';
  return REQUEST_LINE.test(head.toString('latin1', 0, eol)) ? 'http' : 'resp';
}

/** The parsed head once complete (blank line read), null while incomplete, 'bad' when too long. */
export function parseHead(bytes: Buffer): HttpRequestHead | null | 'bad' {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return bytes.length < MAX_HEAD ? null : 'bad';
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const url = REQUEST_LINE.exec(lines[0])![1];
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { url, headers };
}

/** The response as bytes, closing the connection after it. */
export function formatResponse(r: HttpResponse): Buffer {
  let head = `HTTP/1.1 ${r.status} ${r.reason}\r\n`;
  for (const [name, value] of Object.entries(r.headers)) {
    if (name === 'connection' || name === 'content-length' || name === 'transfer-encoding' || name === 'keep-alive') continue;
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${r.body.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), r.body]);
}
