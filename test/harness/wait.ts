/**
 * Waiting for a state (a reply, a counter, a closed connection) to be reached, never for
 * a time: the bound only keeps a test that will not pass from hanging until its timeout.
 */

/** Polls `check` every `pollMs` until it holds; fails naming `what` once `timeoutMs` passed. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
