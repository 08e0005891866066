#!/usr/bin/env node
// Runs the CLI from the esbuild bundle in dist/ (bin/bundle.js builds it when a source is newer).
// LISTWATCH_TSX=1 runs the TypeScript sources through tsx instead (stack traces name .ts lines);
// so does a failed build, e.g. in a read-only install.
let main;
if (process.env.LISTWATCH_TSX !== '1') {
  try {
    const { ensureBundle } = await import('./bundle.js');
    const { pathToFileURL } = await import('node:url');
    ({ main } = await import(pathToFileURL(await ensureBundle()).href));
  } catch (err) {
    process.stderr.write(`listwatch: cannot use the bundle in dist/ (${err instanceof Error ? err.message : String(err)}); running the sources through tsx\n`);
  }
}
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
