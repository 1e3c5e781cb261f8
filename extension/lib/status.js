// The daemon's status object (docs/ipc.md, "Status object"): checking it, and saying it in
// words. Pure, so the popup, the options page and the badge all read the same facts.

import { isPlainObject } from './protocol.js';

export const SYNC_STATES = new Set(['idle', 'syncing', 'error', 'brake', 'backoff', 'signed-out']);

const MAX_PREVIEW = 200; // lines of a brake preview kept for display

/**
 * Check a status object from the daemon and return a clean copy.
 *
 * @param {unknown} raw
 * @returns {{ok: true, status: object} | {ok: false, reason: string}}
 */
export function parseStatus(raw) {
  if (!isPlainObject(raw)) {
    return { ok: false, reason: 'the status is not an object' };
  }
  if (!SYNC_STATES.has(raw.state)) {
    return { ok: false, reason: `unknown sync state ${JSON.stringify(raw.state)}` };
  }
  const problems = [];
  const bool = (name) => {
    const value = raw[name] ?? false;
    if (typeof value !== 'boolean') problems.push(`${name} is not true or false`);
    return value === true;
  };
  const text = (value, name) => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') problems.push(`${name} is not text`);
    return typeof value === 'string' ? value : null;
  };
  const count = (value, name) => {
    if (!Number.isInteger(value) || value < 0) problems.push(`${name} is not a count`);
    return Number.isInteger(value) && value >= 0 ? value : 0;
  };

  const status = {
    signed_in: bool('signed_in'),
    paused: bool('paused'),
    email: text(raw.email, 'email'),
    server: text(raw.server, 'server'),
    state: raw.state,
    progress: null,
    last_sync: null,
    problem: null,
    brake: null,
  };

  if (raw.progress != null) {
    if (!isPlainObject(raw.progress)) problems.push('progress is not an object');
    else status.progress = { done: count(raw.progress.done, 'progress.done'), total: count(raw.progress.total, 'progress.total') };
  }
  if (raw.last_sync != null) {
    const last = raw.last_sync;
    if (!isPlainObject(last) || !Number.isFinite(last.at) || typeof last.ok !== 'boolean') {
      problems.push('last_sync needs a time and an outcome');
    } else {
      status.last_sync = { at: last.at, ok: last.ok, summary: text(last.summary, 'last_sync.summary') ?? '' };
    }
  }
  if (raw.problem != null) {
    const problem = raw.problem;
    if (!isPlainObject(problem) || typeof problem.code !== 'string' || typeof problem.message !== 'string') {
      problems.push('problem needs a code and a message');
    } else {
      status.problem = { code: problem.code, message: problem.message, retry_at: null };
      if (problem.retry_at != null) {
        if (Number.isFinite(problem.retry_at)) status.problem.retry_at = problem.retry_at;
        else problems.push('problem.retry_at is not a time');
      }
    }
  }
  if (raw.brake != null) {
    const brake = raw.brake;
    const preview = isPlainObject(brake) && Array.isArray(brake.preview) ? brake.preview : null;
    if (!isPlainObject(brake) || !preview || !preview.every((line) => typeof line === 'string')) {
      problems.push('brake needs deletions, a total and a preview');
    } else {
      status.brake = {
        deletions: count(brake.deletions, 'brake.deletions'),
        local_total: count(brake.local_total, 'brake.local_total'),
        remote_deletions: count(brake.remote_deletions ?? 0, 'brake.remote_deletions'),
        remote_total: count(brake.remote_total ?? 0, 'brake.remote_total'),
        preview: preview.slice(0, MAX_PREVIEW),
      };
    }
  }
  if (problems.length > 0) {
    return { ok: false, reason: problems.join('; ') };
  }
  return { ok: true, status };
}

/** "just now", "5 minutes ago", "yesterday at 14:05"-style wording of a past moment. */
export function timeAgo(at, now) {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'a minute ago' : `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return hours === 1 ? 'an hour ago' : `${hours} hours ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** "in a few seconds", "in 5 minutes", "in 2 hours"-style wording of a coming moment. */
export function timeUntil(at, now) {
  const seconds = Math.max(0, Math.round((at - now) / 1000));
  if (seconds < 45) return 'in a few seconds';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'in a minute' : `in ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'in an hour' : `in ${hours} hours`;
}

/** A progress fraction between 0 and 1, or null when there is nothing to measure. */
export function progressFraction(progress) {
  if (!progress || progress.total <= 0) return null;
  return Math.min(1, progress.done / progress.total);
}

/** The one-line headline of the sync state. */
export function stateHeadline(status) {
  if (!status.signed_in || status.state === 'signed-out') return 'Signed out';
  if (status.paused) return 'Paused';
  switch (status.state) {
    case 'syncing': {
      const progress = status.progress;
      if (progress && progress.total > 0) {
        return `Syncing… ${progress.done.toLocaleString('en')} of ${progress.total.toLocaleString('en')}`;
      }
      return 'Syncing…';
    }
    case 'error':
      return 'Sync failed';
    case 'brake':
      return 'Waiting for your confirmation';
    case 'backoff':
      return 'Waiting for the server';
    default:
      return status.last_sync?.ok === false ? 'Last sync failed' : 'Up to date';
  }
}
