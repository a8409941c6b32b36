// Calling other algorithms, for algorithms with `pipeline_enabled`. The
// input is encoded as a result is; the callee's result comes back as it came
// (JSON parsed); the callee's error is thrown with the callee's code.

import * as host from 'algobox:algorithm/pipeline@0.1.0';

import { hostError } from './errors.js';
import { decoder, encode } from './payload.js';

const natural = decoder('any');

/** Calls `algorithm` (`owner/name`, optionally `/version`) with `input`. */
export function call(algorithm, input, timeoutMs) {
  let result;
  try {
    result = host.call(algorithm, encode(input), timeoutMs === undefined ? undefined : BigInt(timeoutMs));
  } catch (err) {
    throw hostError(err);
  }
  return natural(result);
}
