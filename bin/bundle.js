// Finds or builds the esbuild bundle of src/cli/main.ts that bin/listwatch.js runs.
//
// Why a bundle: running the TypeScript through tsx costs ~60 MB of resident memory (its loader
// thread and per-file transforms) and ~0.5 s of start-up per run (bench/README.md); the bundle is
// plain JavaScript that node loads directly. It is rebuilt whenever a source is newer, so nobody
// has to remember a build step.
//
// Layout: dist/cli-<stamp>/main.js, two levels below the package root like src/cli/main.ts, so the
// sources' `new URL('../../prompts/', import.meta.url)` paths resolve the same from either.
// The stamp names the sources' state (paths, sizes, mtimes), so a process never loads a half
// written bundle: it is built in a temporary folder and renamed into place.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'dist');
/** what each bundle starts from and which folders' sources it is rebuilt for */
// (src/analyze/parallel-worker.ts is the entry of `analyze --jobs N`'s worker threads: src/analyze/parallel.ts
// starts it from the bundle's folder, so both bundles carry it)
const WORKER_ENTRY = 'src/analyze/parallel-worker.ts';
const BUNDLES = {
  cli: { entry: 'src/cli/main.ts', extraEntries: [WORKER_ENTRY], sources: ['src'] },
  // the benchmark's measured tasks run bundled too, so its baselines carry no tsx start-up either
  bench: { entry: 'bench/tasks.ts', extraEntries: [WORKER_ENTRY], sources: ['src', 'bench', 'test/helpers'] },
};
/** bundles kept besides the current one, for processes still running an older one */
const KEEP_OLD = 2;

function sourceStamp(folders) {
  const h = createHash('sha1');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) {
        const s = statSync(p);
        h.update(`${p}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  for (const f of folders) walk(join(ROOT, f));
  for (const f of ['package.json', 'tsconfig.json', 'bin/bundle.js']) {
    const s = statSync(join(ROOT, f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Builds a bundle (`cli` or `bench`) into dist/<name>-<stamp>/ unless it is there; returns the path of its entry's .js. */
export async function ensureBundle(name = 'cli') {
  const spec = BUNDLES[name];
  const stamp = `${name}-${sourceStamp(spec.sources)}`;
  const dir = join(DIST, stamp);
  const main = join(dir, basename(spec.entry).replace(/\.ts$/, '.js'));
  if (existsSync(main)) return main;
  const { build } = await import('esbuild');
  mkdirSync(DIST, { recursive: true });
  const tmp = join(DIST, `.building-${process.pid}-${Date.now()}`);
  try {
    await build({
      // named outputs, so every entry lands at the top of the folder (main.js, parallel-worker.js)
      entryPoints: [spec.entry, ...spec.extraEntries].map((e) => ({ in: join(ROOT, e), out: basename(e).replace(/\.ts$/, '') })),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // dependencies stay imports of node_modules, so a lazily imported one is still loaded lazily
      packages: 'external',
      splitting: true,
      outdir: tmp,
      logLevel: 'error',
    });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // another process finished the same bundle first: use it
      if (!existsSync(main)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  pruneOld(name, stamp);
  return main;
}

function pruneOld(name, current) {
  let entries;
  try {
    entries = readdirSync(DIST, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== current && e.name.startsWith(`${name}-`))
      .map((e) => ({ name: e.name, mtime: statSync(join(DIST, e.name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
  } catch {
    return;
  }
  for (const e of entries.slice(KEEP_OLD)) rmSync(join(DIST, e.name), { recursive: true, force: true });
}

// `node bin/bundle.js [cli|bench]`: build now (npm's prepare step), print where
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const main = await ensureBundle(process.argv[2] ?? 'cli');
    process.stdout.write(`listwatch bundle: ${dirname(main)}\n`);
  } catch (err) {
    // not fatal: bin/listwatch.js runs the sources through tsx when there is no bundle
    process.stderr.write(`listwatch bundle not built: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
