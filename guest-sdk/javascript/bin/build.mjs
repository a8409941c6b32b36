#!/usr/bin/env node
// Builds a JavaScript algorithm into a component:
//
//   node bin/build.mjs app.js -o app.wasm [--wit DIR]
//
// The app and the SDK are bundled into one ES module (rolldown), with
// `@algobox/guest-sdk` resolved to this SDK and the WIT imports left for
// componentize-js, which then builds against the world `algorithm-with-http`
// of the WIT folder (`algobox wit` writes one; default `./wit`).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { componentize } from '@bytecodealliance/componentize-js';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));

function usage(message) {
  console.error(`error: ${message}\nusage: build.mjs APP.js -o OUT.wasm [--wit DIR]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let app;
let out;
let wit = 'wit';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-o') out = args[++i];
  else if (args[i] === '--wit') wit = args[++i];
  else if (!app) app = args[i];
  else usage(`unexpected argument ${args[i]}`);
}
if (!app || !out) usage('give the app module and -o');

const scratch = await mkdtemp(join(tmpdir(), 'algobox-js-'));
try {
  const bundlePath = join(scratch, 'bundle.js');
  const bundle = await rolldown({
    input: resolve(app),
    external: [/^algobox:/, /^wasi:/],
    resolve: { alias: { '@algobox/guest-sdk': join(here, '../src/index.js') } },
    logLevel: 'warn',
  });
  await bundle.write({ file: bundlePath, format: 'esm' });
  await bundle.close();
  const { component } = await componentize({
    sourcePath: bundlePath,
    witPath: resolve(wit),
    worldName: 'algorithm-with-http',
  });
  await writeFile(out, component);
  console.log(`built ${out} (${component.length} bytes)`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
