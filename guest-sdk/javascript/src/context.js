// What the host provides to a running algorithm: progress, logs and stop
// requests. Every call counts against the invocation's host-call limits.
// These calls work only while the algorithm runs, not in top-level code,
// which componentize-js runs at build time where there is no host.

import * as host from 'algobox:algorithm/context@0.1.0';

import { AlgorithmError, STOPPED } from './errors.js';

/** Reports progress: `percent` from 0 to 100, with optional details. */
export function progress(percent, details) {
  host.progress(percent, details === undefined ? undefined : String(details));
}

/** Writes a line to the invocation's log: level 'trace' ... 'error'. */
export function log(level, message) {
  host.log(level, String(message));
}

/** Writes a trace line. */
export const trace = (message) => log('trace', message);
/** Writes a debug line. */
export const debug = (message) => log('debug', message);
/** Writes an info line. */
export const info = (message) => log('info', message);
/** Writes a warning line. */
export const warn = (message) => log('warn', message);
/** Writes an error line. */
export const error = (message) => log('error', message);

/** Whether a stop was requested; poll it in long loops. */
export function stopRequested() {
  return host.stopRequested();
}

/** Returns while the algorithm may go on; once a stop was requested,
 * throws an `AlgorithmError` with code `Stopped`. */
export function checkStop() {
  if (stopRequested()) {
    throw new AlgorithmError('the algorithm stopped early because a stop was requested', { code: STOPPED });
  }
}

/** Asks for more time to finish after a stop was requested. */
export function extendGrace() {
  host.extendGrace();
}

/** The host's services during `start`, as methods. */
export class Context {
  progress(percent, details) { progress(percent, details); }
  log(level, message) { log(level, message); }
  trace(message) { trace(message); }
  debug(message) { debug(message); }
  info(message) { info(message); }
  warn(message) { warn(message); }
  error(message) { error(message); }
  stopRequested() { return stopRequested(); }
  checkStop() { checkStop(); }
  extendGrace() { extendGrace(); }
}
