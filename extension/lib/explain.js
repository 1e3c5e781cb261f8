// What to tell the user about the current view, in plain words, and which one action to
// offer. Pure: the popup renders what this returns.

import { timeUntil } from './status.js';

/**
 * @typedef {{
 *   tone: 'info' | 'warning' | 'error',
 *   title: string,
 *   text: string,
 *   commands?: {label: string, command: string}[],
 *   action?: 'retry' | 'sign-in' | 'confirm-brake' | 'resume' | 'sync-now',
 *   actionLabel?: string,
 *   preview?: string[],
 * }} Explanation
 */

/**
 * The problem to show, or null when everything is fine.
 *
 * @param {{connection: {state: string, message?: string}, status: object | null}} view
 * @param {number} [now] the time in milliseconds, for "tries again in 5 minutes"
 * @returns {Explanation | null}
 */
export function explain({ connection, status }, now = Date.now()) {
  switch (connection.state) {
    case 'connecting':
      return { tone: 'info', title: 'Connecting to foxbridge…', text: 'Starting the foxbridge service on this computer.' };
    case 'host-missing':
      return {
        tone: 'error',
        title: 'foxbridge isn’t installed for this browser',
        text: 'This extension works with the foxbridge app on your computer. Install it from the foxbridge folder, then check again.',
        commands: [
          { label: 'Linux and macOS', command: './install/install.sh' },
          { label: 'Windows (PowerShell)', command: 'install\\install.ps1' },
          { label: 'Already installed? Register this browser', command: 'foxbridge install' },
        ],
        action: 'retry',
        actionLabel: 'Check again',
      };
    case 'host-forbidden':
      return {
        tone: 'error',
        title: 'foxbridge doesn’t know this copy of the extension',
        text: 'The foxbridge app is installed, but it was set up for a different extension id. Register this browser again, then check again.',
        commands: [{ label: 'In a terminal', command: 'foxbridge install' }],
        action: 'retry',
        actionLabel: 'Check again',
      };
    case 'daemon-unreachable':
      return {
        tone: 'error',
        title: 'Can’t reach the foxbridge service',
        text: unreachableText(connection.message),
        commands: [{ label: 'In a terminal', command: 'foxbridge doctor' }],
        action: 'retry',
        actionLabel: 'Try again',
      };
    default:
      break;
  }
  if (!status) return null;
  if (!status.signed_in || status.state === 'signed-out') {
    return {
      tone: 'info',
      title: 'You’re signed out',
      text: status.problem?.message ?? 'Sign in with your Mozilla account to keep this browser’s bookmarks in sync with Firefox.',
      action: 'sign-in',
      actionLabel: 'Sign in',
    };
  }
  if (status.state === 'brake' && status.brake) {
    return {
      tone: 'warning',
      title: 'Sync stopped for safety',
      text: `${brakeSummary(status.brake)} Nothing has changed yet. Check what would go, then apply it if it is what you expect.`,
      preview: status.brake.preview,
      action: 'confirm-brake',
      actionLabel: 'Apply these changes',
    };
  }
  if (status.state === 'backoff') {
    return {
      tone: 'warning',
      title: 'The sync server is unavailable',
      text: [
        status.problem?.message ?? 'The server asked foxbridge to wait.',
        status.problem?.retry_at ? `foxbridge tries again ${timeUntil(status.problem.retry_at, now)}.` : 'foxbridge tries again by itself.',
      ].join(' '),
    };
  }
  if (status.state === 'error') {
    return {
      tone: 'error',
      title: 'Sync failed',
      text: status.problem?.message ?? 'The last sync did not finish.',
      action: 'sync-now',
      actionLabel: 'Try again',
    };
  }
  if (status.problem) {
    return { tone: 'warning', title: 'Something needs attention', text: status.problem.message };
  }
  return null;
}

/** The host's reason, and what happens next; the doctor is named once. */
function unreachableText(reason) {
  const said = reason ?? 'The service did not answer.';
  const next = /doctor/i.test(said) ? 'foxbridge keeps trying.' : 'foxbridge keeps trying; “foxbridge doctor” explains what is wrong.';
  return `${said} ${next}`;
}

/** What the brake stopped, on each side. */
function brakeSummary(brake) {
  const parts = [];
  if (brake.deletions > 0 || brake.remote_deletions === 0) {
    const of = brake.local_total ? ` of the ${brake.local_total.toLocaleString('en')} in this browser` : ' in this browser';
    parts.push(`${plural(brake.deletions, 'bookmark')}${of}`);
  }
  if (brake.remote_deletions > 0) {
    const of = brake.remote_total ? ` of the ${brake.remote_total.toLocaleString('en')} in your account` : ' in your account';
    parts.push(`${plural(brake.remote_deletions, 'bookmark')}${of}`);
  }
  return `This sync would delete ${parts.join(' and ')}.`;
}

/** "1 bookmark", "60 bookmarks". */
export function plural(count, noun) {
  return `${count.toLocaleString('en')} ${noun}${count === 1 ? '' : 's'}`;
}
