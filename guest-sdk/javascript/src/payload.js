// Decoding the input into what an algorithm asks for, and encoding what it
// returns, following the Rust SDK's rules. A value crosses the contract as
// the WIT's `payload`: `{ tag: 'text' | 'json' | 'binary' | 'void', val }`.
//
// Input kinds (the `input` option of `exportFunction`/`exportAlgorithm`):
// - 'text': text, or a JSON string;
// - 'bytes': binary, as a Uint8Array;
// - 'json': JSON, parsed;
// - 'any' (the default): the value as it came (text as a string, JSON
//   parsed, binary as a Uint8Array, void as undefined).
// Outputs: a string is text, a Uint8Array (or ArrayBuffer) binary,
// undefined void, anything else JSON.

import { AlgorithmError, inputError } from './errors.js';

const KINDS = ['any', 'text', 'bytes', 'json'];

/** A function from the WIT payload to the input of the given kind. */
export function decoder(kind = 'any') {
  if (!KINDS.includes(kind)) {
    throw new TypeError(`unknown input kind '${kind}': use one of ${KINDS.join(', ')}`);
  }
  return (payload) => decode(kind, payload);
}

function decode(kind, { tag, val }) {
  switch (kind) {
    case 'any':
      return tag === 'json' ? parseJson(val) : val;
    case 'text':
      if (tag === 'text') return val;
      if (tag === 'json') {
        let parsed;
        try {
          parsed = JSON.parse(val);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed === 'string') return parsed;
        throw inputError("expected a `text` input (or a JSON string), but received `json` that is not a string; send plain text");
      }
      throw mismatch('text', tag);
    case 'bytes':
      if (tag === 'binary') return val;
      throw mismatch('binary', tag);
    case 'json':
      if (tag === 'json') return parseJson(val);
      if (tag === 'text') {
        try {
          JSON.parse(val);
        } catch (err) {
          throw inputError(`expected a \`json\` input, but received \`text\`; if you meant to send JSON, it does not parse: ${err.message}`);
        }
        throw inputError('expected a `json` input, but received `text` that holds JSON; send it with content type `json`');
      }
      throw mismatch('json', tag);
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw inputError(`the \`json\` input is not well-formed JSON (${err.message}); send one JSON document`);
  }
}

function mismatch(expected, tag) {
  const received = tag === 'void' ? 'no value' : `\`${tag}\``;
  return inputError(`expected a \`${expected}\` input, but received ${received}; send the input as \`${expected}\``);
}

/** The WIT payload of what an algorithm returned. */
export function encode(result) {
  if (result === undefined) return { tag: 'void' };
  if (typeof result === 'string') return { tag: 'text', val: result };
  if (result instanceof Uint8Array) return { tag: 'binary', val: result };
  if (result instanceof ArrayBuffer) return { tag: 'binary', val: new Uint8Array(result) };
  let text;
  try {
    text = JSON.stringify(result);
  } catch (err) {
    throw new AlgorithmError(`the result does not serialize as JSON (${err.message}); return a string, bytes, undefined or JSON values`);
  }
  if (text === undefined) {
    throw new AlgorithmError('the result does not serialize as JSON; return a string, bytes, undefined or JSON values');
  }
  return { tag: 'json', val: text };
}
