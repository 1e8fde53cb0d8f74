/**
 * The follower's side of the replication handshake, as redis-server 7.0's
 * syncWithMaster sends it: `PING`, then in one go `AUTH [masteruser] masterauth`,
 * `REPLCONF listening-port <port>`, `REPLCONF ip-address <ip>` (with
 * replica-announce-ip), `REPLCONF capa eof capa psync2`, their replies read in order,
 * then `PSYNC <replid> <offset>` (or `PSYNC ? -1`). The bytes are redis-server's
 * (test/replication/handshake.test.ts compares them with a capture of it).
 *
 * Pure: commands as bytes, and what a reply line means. The link (follower.ts) does
 * the socket work.
 */
import { commandString } from '../../protocol/reply.js';

/** What the handshake announces, from the configuration. */
export interface HandshakeSettings {
  masterauth: string;
  masteruser: string;
  /** replica-announce-port, or the port this broker listens on. */
  listeningPort: number;
  /** replica-announce-ip ('' when not set). */
  announceIp: string;
}

/** One step after PING: the command sent, and how its reply is judged. */
export interface HandshakeStep {
  bytes: Buffer;
  /** 'auth' failures end the attempt; the others are logged and the handshake goes on. */
  kind: 'auth' | 'listening-port' | 'ip-address' | 'capa';
}

const encode = (argv: readonly string[]): Buffer => Buffer.from(commandString(argv), 'latin1');

export const PING_COMMAND = encode(['PING']);

/** The commands sent together once PING was answered, in redis-server's order. */
export function handshakeSteps(settings: HandshakeSettings): HandshakeStep[] {
  const steps: HandshakeStep[] = [];
  if (settings.masterauth !== '') {
    const argv = settings.masteruser !== '' ? ['AUTH', settings.masteruser, settings.masterauth] : ['AUTH', settings.masterauth];
    steps.push({ bytes: encode(argv), kind: 'auth' });
  }
  steps.push({ bytes: encode(['REPLCONF', 'listening-port', String(settings.listeningPort)]), kind: 'listening-port' });
  if (settings.announceIp !== '') steps.push({ bytes: encode(['REPLCONF', 'ip-address', settings.announceIp]), kind: 'ip-address' });
  steps.push({ bytes: encode(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']), kind: 'capa' });
  return steps;
}

/**
 * `PSYNC <replid> <offset>` to continue from a known position, or `PSYNC ? -1` for a
 * full resync; with `FAILOVER` the leader is asked to take over first (FAILOVER's handover).
 */
export function psyncCommand(position: { replid: string; offset: number } | null, failover = false): Buffer {
  const argv = position === null ? ['PSYNC', '?', '-1'] : ['PSYNC', position.replid, String(position.offset)];
  return encode(failover ? [...argv, 'FAILOVER'] : argv);
}

/** `REPLCONF ACK <offset>`: the follower's processed offset, every second and on GETACK. */
export function ackCommand(offset: number): Buffer {
  return encode(['REPLCONF', 'ACK', String(offset)]);
}

/**
 * PING's reply as redis-server judges it: +PONG, or an authentication error (the
 * AUTH that follows will tell), go on; any other error ends the attempt.
 */
export function pingReplyError(line: string): string | null {
  if (!line.startsWith('-')) return null;
  if (line.startsWith('-NOAUTH') || line.startsWith('-NOPERM') || line.startsWith('-ERR operation not permitted')) return null;
  return line.slice(1);
}

/** What the leader answered to PSYNC. */
export type PsyncReply =
  | { kind: 'full'; replid: string; offset: number }
  | { kind: 'continue'; replid: string | null }
  /** -NOMASTERLINK, -LOADING: the leader cannot now, but will: retry later, as redis-server. */
  | { kind: 'try-later'; error: string }
  | { kind: 'error'; error: string };

const REPLID = /^[0-9a-zA-Z]{40}$/;

/** Parses PSYNC's reply line (without CRLF), as redis-server's slaveTryPartialResynchronization. */
export function parsePsyncReply(line: string): PsyncReply {
  if (line.startsWith('+FULLRESYNC')) {
    const [, replid, offset] = line.split(' ');
    const n = Number(offset);
    if (replid === undefined || !REPLID.test(replid) || !Number.isSafeInteger(n)) {
      return { kind: 'error', error: `Master replied with wrong +FULLRESYNC syntax: ${line}` };
    }
    return { kind: 'full', replid, offset: n };
  }
  if (line.startsWith('+CONTINUE')) {
    const replid = line.slice('+CONTINUE'.length).trim();
    return { kind: 'continue', replid: REPLID.test(replid) ? replid : null };
  }
  if (line.startsWith('-NOMASTERLINK') || line.startsWith('-LOADING')) return { kind: 'try-later', error: line.slice(1) };
  return { kind: 'error', error: line.startsWith('-') ? line.slice(1) : `Unexpected reply to PSYNC from master: ${line}` };
}
