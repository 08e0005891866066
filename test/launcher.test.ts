// bin/listwatch.js runs an esbuild bundle of src/ that it rebuilds when a source changes, and falls
// back to tsx when it cannot write one. Checked on a copy of the package, so the real dist/ is untouched.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const copy = mkdtempSync(join(tmpdir(), 'listwatch-launcher-'));
for (const p of ['bin', 'src', 'prompts', 'fixtures/seed', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const bundles = (): string[] => readdirSync(join(copy, 'dist')).filter((d) => d.startsWith('cli-')).sort();
const analyzeSeed = (...more: string[]) => run('node', ['bin/listwatch.js', 'analyze', ...more, 'fixtures/seed'], { cwd: copy });

describe('bin/listwatch.js', () => {
  it('builds the bundle on first use, reuses it, and builds a new one when a source changes', async () => {
    const first = await analyzeSeed();
    expect(first.stdout).toContain('listwatch: 1 post, 12 observations, 2 findings');
    expect(first.stderr).toBe('');
    const built = bundles();
    expect(built).toHaveLength(1);

    await analyzeSeed();
    expect(bundles()).toEqual(built);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'src/cli/main.ts'), later, later);
    const again = await analyzeSeed();
    expect(again.stdout).toContain('listwatch: 1 post, 12 observations, 2 findings');
    const now = bundles();
    expect(now).toHaveLength(2);
    expect(now).toEqual(expect.arrayContaining(built));
  }, 60_000);

  it('starts the analysis workers (--jobs 2) from the bundle: the same document, no fallback', async () => {
    const one = await analyzeSeed('--format', 'json');
    const two = await analyzeSeed('--format', 'json', '--jobs', '2');
    expect(two.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    for (const b of bundles()) expect(readdirSync(join(copy, 'dist', b))).toContain('parallel-worker.js');
  }, 60_000);

  it('runs the sources through tsx, and says so, when no bundle can be written', async () => {
    rmSync(join(copy, 'dist'), { recursive: true, force: true });
    writeFileSync(join(copy, 'dist'), 'not a folder');
    const r = await analyzeSeed();
    expect(r.stderr).toMatch(/cannot use the bundle in dist\/ .*running the sources through tsx/);
    expect(r.stdout).toContain('listwatch: 1 post, 12 observations, 2 findings');
    // the analysis workers run the sources through tsx too
    const jobs = await analyzeSeed('--jobs', '2');
    expect(jobs.stderr).not.toContain('no worker thread could start');
    expect(jobs.stdout).toBe(r.stdout);
    rmSync(join(copy, 'dist'), { force: true });
  }, 60_000);
});
