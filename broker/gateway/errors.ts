/**
 * Every error code an `error` frame carries and every close code a session ends with,
 * in one list (docs/websocket-protocol.md documents each one, which
 * test/gateway/protocol-doc.test.ts checks). Besides these, an `error` frame's code may
 * be the first word of the broker's own error reply to the command the gateway ran
 * (NOGROUP, WRONGTYPE, ERR, BUSYGROUP...), its message the reply's whole text.
 */

export const ERROR_CODES = {
  NOAUTH: 'Authentication required: send an `auth` frame first.',
  BAD_REQUEST: 'A field is missing or invalid for this operation.',
  UNKNOWN_SUB: 'No subscription of this session has that name.',
  DUPLICATE_SUB: 'The session already has a subscription of that name.',
  NOT_ACKABLE: 'The subscription has nothing to acknowledge (`read` and `subscribe`).',
  UNKNOWN_ID: 'An ID given to ack or nack was not delivered on this subscription, or was settled already.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** WebSocket close codes the gateway uses, with the reason text sent along. */
export const CLOSE_CODES = {
  /** The broker is shutting down. */
  GOING_AWAY: 1001,
  /** A frame larger than `gateway-max-frame-bytes` (sent by `ws` itself). */
  TOO_BIG: 1009,
  /** `gateway-max-sessions` sessions are open already, or the broker has `maxclients` clients. */
  TRY_AGAIN_LATER: 1013,
  /** A frame that does not decode, or of a type only the server sends. */
  BAD_FRAME: 4000,
  /** Wrong password, or no `auth` frame within the heartbeat interval. */
  AUTH_FAILED: 4001,
  /** The session's unsent output went over `gateway-session-buffer-limit`: the client does not read. */
  SLOW_CONSUMER: 4008,
  /** The broker closed one of the session's client connections (CLIENT KILL, client-output-buffer-limit, maxclients). */
  LINK_CLOSED: 4010,
} as const;

/** An `error` frame's code and message for an error reply of the broker (`NOGROUP No such key...`). */
export function replyError(error: string): { code: string; message: string } {
  const space = error.indexOf(' ');
  return { code: space < 0 ? error : error.slice(0, space), message: error };
}
