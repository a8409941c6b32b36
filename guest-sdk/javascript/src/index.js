// Write algobox algorithms in JavaScript: one function or a lifecycle class,
// built into a WebAssembly component with componentize-js (`bin/build.mjs`).
//
//   import { exportFunction } from '@algobox/guest-sdk';
//   export const lifecycle = exportFunction((name) => `Hello ${name}`, { input: 'text' });

export { AlgorithmError } from './errors.js';
export { exportAlgorithm, exportFunction } from './export.js';
export * as context from './context.js';
export { Context } from './context.js';
export * as data from './data.js';
export * as pipeline from './pipeline.js';
