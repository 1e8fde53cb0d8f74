/**
 * HTTP authentication: with `requirepass` set, a request carries the password as a
 * Bearer token or as HTTP basic auth (user `default`, as AUTH's, or empty). With
 * `http-metrics-auth no`, /metrics and /healthz are open all the same.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';

/** Endpoints `http-metrics-auth no` leaves open. */
const OPTIONAL_AUTH = new Set(['/metrics', '/healthz']);

/** Compares in constant time (the gateway checks its passwords with it too). */
export function samePassword(given: string, password: string): boolean {
  const a = Buffer.from(given, 'latin1');
  const b = Buffer.from(password, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The password an Authorization header carries, or null. */
export function passwordOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === 'bearer') return credentials;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(credentials, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  return user === '' || user === 'default' ? decoded.slice(colon + 1) : null;
}

/** An onRequest hook: answers 401 unless the request may go on. */
export function authHook(config: Config) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const password = config.get('requirepass');
    if (password === '') return;
    const path = request.url.split('?')[0];
    if (OPTIONAL_AUTH.has(path) && !config.bool('http-metrics-auth')) return;
    const given = passwordOf(request.headers.authorization);
    if (given !== null && samePassword(given, password)) return;
    await reply.code(401).header('www-authenticate', 'Basic realm="broker", charset="UTF-8"').send('authentication required\n');
  };
}
