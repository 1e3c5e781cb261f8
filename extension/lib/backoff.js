// How long to wait before reconnecting to the host. Pure: randomness is passed in.

export const RECONNECT_BASE_MS = 1000;
export const RECONNECT_MAX_MS = 60_000;
// Nothing changes until the user runs the installer, and opening the popup retries at once.
export const NOT_INSTALLED_MAX_MS = 5 * 60_000;

/**
 * The delay before reconnection attempt number `attempt` (0 for the first retry):
 * exponential, capped, with jitter so many profiles do not reconnect in step.
 *
 * @param {number} attempt
 * @param {{baseMs?: number, maxMs?: number, random?: () => number}} [options]
 */
export function reconnectDelay(attempt, { baseMs = RECONNECT_BASE_MS, maxMs = RECONNECT_MAX_MS, random = Math.random } = {}) {
  const exponential = baseMs * 2 ** Math.min(Math.max(0, attempt), 30);
  const capped = Math.min(maxMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}
