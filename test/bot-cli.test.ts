// The bot as a process: `start` logs what it watches, and SIGTERM finishes the post in hand and exits 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Store } from '../src/store/store.js';

const REPO = join(import.meta.dirname, '..');
const CHILD = join(REPO, 'test', 'helpers', 'bot-cli-child.ts');
// the child runs in a temp dir, where a bare `--import tsx` would not resolve
const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exit, output: () => out };
}

async function waitFor(fn: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('listwatch start', () => {
  it('says what it watches, and on SIGTERM finishes, closes cleanly and exits 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-cli-'));
    writeFileSync(join(cwd, 'listwatch.config.json'), JSON.stringify({ seedFrom: join(REPO, 'fixtures', 'demo-list') }));
    const p = run(['start'], cwd);
    // a child process under tsx starts slowly when the whole suite shares two cores
    await waitFor(() => p.output().includes('drop a post into its new/ folder'), 45_000);
    const demo = readdirSync(join(REPO, 'fixtures', 'demo-list', 'cur')).filter((f) => !f.startsWith('.')).length;
    await waitFor(() => (p.output().match(/analyzed a post/g) ?? []).length === demo, 30_000);
    p.child.kill('SIGTERM');
    const { code, signal } = await p.exit;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(p.output()).toContain('stopped cleanly');
    const store = new Store(join(cwd, 'var', 'listwatch.db'));
    expect(store.counts().posts).toBe(demo);
    store.close();
  }, 100_000);

  it('refuses a bad configuration with a message naming the key, exit status 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-cli-bad-'));
    const p = run(['watch', '--once'], cwd, { LISTWATCH_IMAP_URL: 'imap://bot@mail.example.org/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' });
    const { code } = await p.exit;
    expect(code).toBe(2);
    expect(p.output()).toMatch(/imapUrl \(LISTWATCH_IMAP_URL\): imap:\/\/ sends the password in clear/);
  }, 60_000);
});
