// The two forms of an algorithm, as the WIT's `lifecycle` export. The app
// module exports the result as `lifecycle`:
//
//   export const lifecycle = exportFunction(apply, { input: 'json' });
//
// componentize-js evaluates the module's top level at build time and
// snapshots it (Wizer pre-initialization): `exportAlgorithm` creates the
// instance and runs `load` there, once, and every call starts from that
// state on a fresh instance.

import { Context } from './context.js';
import { ALGORITHM_ERROR, AlgorithmError, INPUT_ERROR } from './errors.js';
import { decoder, encode } from './payload.js';

/**
 * Exports `fn(input)` as the algorithm: `options.input` picks how the input
 * is decoded ('text', 'bytes', 'json' or 'any'; 'none' for no input), the
 * return value is the result, and a thrown error is the error.
 */
export function exportFunction(fn, options = {}) {
  const decode = options.input === 'none' ? undefined : decoder(options.input);
  let input;
  return lifecycle({
    initialize(inputs) {
      if (decode) input = first(inputs, decode);
    },
    start() {
      return decode ? fn(input) : fn();
    },
    stop() {},
  });
}

/**
 * Exports a lifecycle class as the algorithm: `load()` (optional, run once
 * at build time), `initialize(input)` (decoded as `options.input` says),
 * `start(ctx)` returning the result, and `stop()` (optional, after a stop
 * request).
 */
export function exportAlgorithm(Algorithm, options = {}) {
  const decode = options.input === 'none' ? undefined : decoder(options.input);
  const instance = new Algorithm();
  if (typeof instance.load === 'function') instance.load();
  return lifecycle({
    initialize(inputs) {
      if (decode) instance.initialize(first(inputs, decode));
      else instance.initialize();
    },
    start() {
      return instance.start(new Context());
    },
    stop() {
      if (typeof instance.stop === 'function') instance.stop();
    },
  });
}

function lifecycle(form) {
  return {
    initialize(inputs) {
      guard(() => form.initialize(inputs));
    },
    start() {
      return guard(() => encode(form.start()));
    },
    stop() {
      try {
        form.stop();
      } catch (err) {
        console.error(`stop failed: ${err && err.stack ? err.stack : err}`);
      }
    },
  };
}

function first(inputs, decode) {
  if (inputs.length === 0) {
    throw new AlgorithmError('no input was given, but this algorithm needs one; call it with one input value', { code: INPUT_ERROR });
  }
  return decode(inputs[0]);
}

/** Runs `body`; a thrown error becomes the WIT's `algo-error`, stack kept. */
function guard(body) {
  try {
    return body();
  } catch (err) {
    throw toAlgoError(err);
  }
}

/**
 * The thrown form of the WIT's `algo-error`: the record's fields on the
 * object, and the record as `payload`, the shape jco-style bindings read
 * an error result from.
 */
class AlgoErrorResult extends Error {
  constructor(record) {
    super(record.message);
    this.code = record.code;
    this.details = record.details;
    this.payload = record;
  }
}

function toAlgoError(err) {
  if (err instanceof AlgorithmError) {
    return new AlgoErrorResult({ code: err.code, message: err.message, details: err.details ?? err.stack });
  }
  if (err instanceof Error) {
    const message = err.message ? `${err.name}: ${err.message}` : err.name;
    return new AlgoErrorResult({ code: ALGORITHM_ERROR, message, details: err.stack });
  }
  return new AlgoErrorResult({ code: ALGORITHM_ERROR, message: String(err), details: undefined });
}
