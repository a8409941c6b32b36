// js-hello: `Hello <name>` in JavaScript, the per-call cost benchmark's
// guest (runtime/benches/invoke.rs), beside Rust's `hello`.

import { exportFunction } from '@algobox/guest-sdk';

export const lifecycle = exportFunction((name) => `Hello ${name}`, { input: 'text' });
