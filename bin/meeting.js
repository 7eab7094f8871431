#!/usr/bin/env node
// Entry point of the `meeting` command (npx meeting …); runs the compiled CLI.
'use strict';
// Each open PortAudio stream holds one libuv worker thread and OpenCV's async reads share the pool:
// with a microphone, a speaker and a camera the default four threads are too few.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '8';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('meeting: not built yet; run `npm run setup` (or `npm run build`) first\n');
  process.exit(1);
}
require(cli)
  .buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    process.stderr.write(`${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  });
