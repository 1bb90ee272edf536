// Builds the deployable function app: one CommonJS file per function (esbuild), host.json and a
// package.json whose "main" points at it, in dist/bundle (what azure.yaml deploys).
// The Functions worker provides '@azure/functions-core' at run time, so it stays external.
'use strict';
const { buildSync } = require('esbuild');
const { copyFileSync, mkdirSync, rmSync, writeFileSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
buildSync({
  // One entry registering every function, so the host loads one file.
  entryPoints: [join(root, 'src', 'functions', 'index.ts')],
  outdir: join(out, 'functions'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@azure/functions-core'],
  alias: { 'whatwg-url': join(__dirname, 'whatwg-url-shim.js') },
  // Some Azure packages resolve to their ESM build and read import.meta.url: give them this file's URL.
  define: { 'import.meta.url': '__bundleFileUrl' },
  banner: { js: "const __bundleFileUrl = require('url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'host.json'), join(out, 'host.json'));
const pkg = require(join(root, 'package.json'));
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, main: 'functions/index.js' }, null, 2)}\n`,
);
process.stdout.write(`bundled into ${out}\n`);
