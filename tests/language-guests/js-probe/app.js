// js-probe: the JavaScript SDK's lifecycle form, driven by a JSON request,
// for tests/languages.rs.
//
// `load` runs at build time and records a table every call starts from.
// Actions: `loaded` (returns what load built), `progress` (three steps),
// `wait-stop` (polls stopRequested; fails with code Stopped once asked), `fail`
// (a TypeError two frames deep), `refuse` (an AlgorithmError with code
// InputError), `data` (writes `text` to `uri`, reads it back), `bytes`
// (binary), `void` (undefined).

import { AlgorithmError, context, data, exportAlgorithm } from '@algobox/guest-sdk';

function explode(value) {
  return value.missing.field;
}

function deepFailure() {
  return explode({});
}

class Probe {
  load() {
    this.squares = Array.from({ length: 5 }, (_, i) => i * i);
    this.calls = 0;
  }

  initialize(request) {
    this.request = request;
    this.calls += 1;
  }

  start(ctx) {
    const { action, uri, text, limit_ms: limitMs = 30000 } = this.request;
    switch (action) {
      case 'loaded':
        return { squares: this.squares, calls: this.calls };
      case 'progress':
        for (const step of [25, 50, 75]) ctx.progress(step, `step ${step}`);
        return 'done';
      case 'wait-stop': {
        const deadline = Date.now() + limitMs;
        while (Date.now() < deadline) {
          if (ctx.stopRequested()) {
            ctx.info('js-probe: stop seen');
            ctx.checkStop();
          }
          const spin = Date.now() + 10;
          while (Date.now() < spin) {
            // no sleep in a synchronous export: spin between polls
          }
        }
        return { stopped: false };
      }
      case 'fail':
        return deepFailure();
      case 'refuse':
        throw new AlgorithmError('the probe refuses', { code: 'InputError' });
      case 'data':
        data.write(uri, text);
        return { read: data.readText(uri), exists: data.exists(uri) };
      case 'bytes':
        return new Uint8Array([0, 1, 2, 255]);
      case 'void':
        return undefined;
      default:
        throw new AlgorithmError(`unknown action ${action}`, { code: 'InputError' });
    }
  }

  stop() {
    context.info('js-probe: stop hook ran');
  }
}

export const lifecycle = exportAlgorithm(Probe, { input: 'json' });
