// Every temp folder a test (or a CLI it starts) makes goes under one folder per run, removed when
// the run ends: tests make hundreds of folders with mkdtemp, and they used to pile up in /tmp.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), 'listwatch-test-run-'));
  chmodSync(runDir, 0o755); // Dovecot's auth and mail processes (not root) must reach the folders made in it
  // The forks inherit the environment, and os.tmpdir() reads TMPDIR.
  process.env.TMPDIR = runDir;
  return () => rmSync(runDir, { recursive: true, force: true });
}
