#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ (npm run build).
const path = require('path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (error) {
  // Only the missing build itself gets this message; a module missing inside the build is a real error.
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(entry)) {
    process.stderr.write(
      `defender-export is not built yet: run 'npm run build' in ${path.join(__dirname, '..')}, then try again.\n`,
    );
    // EXIT.failed (src/common/exitCodes.ts), which cannot be loaded before the build.
    process.exitCode = 1;
    return;
  }
  throw error;
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
