// `data://` files, with the permissions of the caller of the algorithm.
// A refusal or a missing file throws `AlgorithmError` with the host's code.

import * as host from 'algobox:algorithm/data@0.1.0';

import { hostError } from './errors.js';

function guard(call) {
  try {
    return call();
  } catch (err) {
    throw hostError(err);
  }
}

/** Reads a whole file as a Uint8Array: `data://owner/collection/file`. */
export const read = (uri) => guard(() => host.read(uri));
/** Reads a whole file as UTF-8 text. */
export const readText = (uri) => new TextDecoder().decode(read(uri));
/** Writes a whole file (a string as UTF-8), replacing any before it. */
export const write = (uri, contents) =>
  guard(() => host.write(uri, typeof contents === 'string' ? new TextEncoder().encode(contents) : contents));
/** Whether a file exists (and the caller may see it). */
export const exists = (uri) => guard(() => host.exists(uri));
/** Deletes a file. */
export const remove = (uri) => guard(() => host.delete(uri));
/** The names of the files in a collection: `data://owner/collection`. */
export const listFiles = (uri) => guard(() => host.listFiles(uri));
