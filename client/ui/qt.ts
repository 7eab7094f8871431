/**
 * Loads NodeGui on plain Node. NodeGui's addon expects three symbols from the qode executable; the
 * project's qode shim (native/qode-shim) defines them and must be loaded with RTLD_GLOBAL first.
 * Qt's events are then pumped from a Node timer. Under the stock `qode` launcher (which has the
 * symbols and runs Qt's loop itself) the shim and the pump are skipped.
 */
import os from 'node:os';
import path from 'node:path';
import { QT_PUMP_INTERVAL_MS } from '../../common/constants';

type NodeGui = typeof import('@nodegui/nodegui');

// Re-exported for the modules that pump or wait on Qt; the value lives with the other constants.
export { QT_PUMP_INTERVAL_MS };

let loaded: NodeGui | null = null;
let pump: NodeJS.Timeout | null = null;

/** True when running inside the stock qode executable. */
export function underQode(): boolean {
  return typeof (process.versions as Record<string, string | undefined>).qode === 'string';
}

/** Loads the shim (on plain Node) and NodeGui, and starts the event pump. */
export function loadNodeGui(): NodeGui {
  if (loaded) return loaded;
  if (!underQode()) {
    const shim = path.join(
      __dirname,
      '..',
      '..',
      '..',
      'native',
      'qode-shim',
      'build',
      'Release',
      'qode_shim.node',
    );
    const module = { exports: {} };
    process.dlopen(module, shim, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require('@nodegui/nodegui') as NodeGui;
  if (!underQode()) {
    startPump(loaded);
    // When Node tears its environment down by itself (the loop ran dry), Qt's objects are destroyed
    // after it and NodeGui's destroy callbacks call into the dead environment, which aborts the
    // process (Napi::Error). Exiting explicitly first avoids that.
    process.once('beforeExit', (code) => process.exit(code));
  }
  return loaded;
}

function startPump(qt: NodeGui): void {
  const app = qt.QApplication.instance();
  app.setQuitOnLastWindowClosed(false);
  pump = setInterval(() => app.processEvents(), QT_PUMP_INTERVAL_MS);
}

/** Stops the event pump so the process can exit. */
export function stopNodeGui(): void {
  if (pump) clearInterval(pump);
  pump = null;
}
