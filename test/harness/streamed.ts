/**
 * INFO's count of streamed replies in progress (engine/streamed-reply.ts), for the suites
 * that check a streamed reply is under way, and that none is left once it ended.
 */
import { expect } from 'vitest';
import type { RawClient } from './raw.js';

/** `streamed_replies` of INFO clients. */
export async function streamedReplies(c: RawClient): Promise<number> {
  const info = (await c.call('INFO', 'clients')).value as string;
  return Number(/streamed_replies:(\d+)/.exec(info)![1]);
}

/** Polls INFO (200 times at most, `pollMs` apart) until no streamed reply is in progress; fails if one still is. */
export async function noneStreamed(c: RawClient, pollMs = 50): Promise<void> {
  for (let tries = 0; tries < 200 && (await streamedReplies(c)) !== 0; tries++) await new Promise((r) => setTimeout(r, pollMs));
  expect(await streamedReplies(c)).toBe(0);
}
