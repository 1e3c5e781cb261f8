// The toolbar badge for what the service worker knows: its link to the daemon and the
// daemon's status. Pure; background.js hands the result to chrome.action.

import { progressFraction } from './status.js';

export const BADGE_COLORS = {
  busy: '#2563eb', // blue: working, nothing to do for the user
  attention: '#d97706', // amber: waiting for the user, or for the server
  failure: '#dc2626', // red: sync cannot happen until something is fixed
  quiet: '#6b7280', // grey: deliberately off
};

/**
 * @param {{connection: {state: string, message?: string}, status: object | null}} view
 * @returns {{text: string, color: string, title: string}}
 */
export function badgeFor({ connection, status }) {
  switch (connection.state) {
    case 'host-missing':
    case 'host-forbidden':
      return { text: '!', color: BADGE_COLORS.failure, title: 'foxbridge: not installed for this browser' };
    case 'daemon-unreachable':
      return { text: '!', color: BADGE_COLORS.failure, title: 'foxbridge: the foxbridge service is not running' };
    case 'connecting':
      return { text: '', color: BADGE_COLORS.quiet, title: 'foxbridge: connecting…' };
    default:
      break;
  }
  if (!status) {
    return { text: '', color: BADGE_COLORS.quiet, title: 'foxbridge' };
  }
  if (!status.signed_in || status.state === 'signed-out') {
    return { text: 'off', color: BADGE_COLORS.quiet, title: 'foxbridge: signed out' };
  }
  if (status.state === 'brake') {
    return { text: '?', color: BADGE_COLORS.attention, title: 'foxbridge: a sync is waiting for your confirmation' };
  }
  if (status.paused) {
    return { text: '❚❚', color: BADGE_COLORS.quiet, title: 'foxbridge: sync is paused' };
  }
  switch (status.state) {
    case 'syncing': {
      const fraction = progressFraction(status.progress);
      const text = fraction === null ? '…' : `${Math.floor(fraction * 100)}%`;
      return { text, color: BADGE_COLORS.busy, title: 'foxbridge: syncing' };
    }
    case 'error':
      return { text: '!', color: BADGE_COLORS.failure, title: `foxbridge: ${status.problem?.message ?? 'sync failed'}` };
    case 'backoff':
      return { text: '!', color: BADGE_COLORS.attention, title: 'foxbridge: the server is busy; retrying later' };
    default:
      return { text: '', color: BADGE_COLORS.quiet, title: syncedTitle(status) };
  }
}

function syncedTitle(status) {
  const email = status.email ? ` (${status.email})` : '';
  return `foxbridge${email}: up to date`;
}
