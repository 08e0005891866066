// The running bot's store checkpoints its WAL on a worker thread (Store option backgroundCheckpoint),
// so no post's commit copies the WAL back itself. The worker's connection must see and copy the
// bot's commits, and the data must read back whole after closing and reopening.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../src/store/store.js';

async function until<T>(what: () => T | null, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Store background checkpoint', () => {
  it('copies committed pages back on a worker thread after a commit; the data reads back after reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listwatch-ckpt-'));
    const path = join(dir, 'state.db');
    const store = new Store(path, { backgroundCheckpoint: true });
    expect(store.lastBackgroundCheckpoint()).toBeNull();
    store.transaction(() => {
      for (let i = 0; i < 500; i++) store.setMeta(`k${i}`, 'x'.repeat(200));
    });
    const r = await until(() => store.lastBackgroundCheckpoint());
    expect(r.error).toBeUndefined();
    expect(r.log).toBeGreaterThan(0);
    expect(r.checkpointed).toBeGreaterThan(0);
    // the bot's own connection does not checkpoint on its own before ~100,000 pages
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(100_000);
    store.close();
    const again = new Store(path);
    expect(again.meta('k499')).toBe('x'.repeat(200));
    again.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is off unless asked for: the store checkpoints on its own connection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'listwatch-ckpt-'));
    const store = new Store(join(dir, 'state.db'));
    store.setMeta('a', 'b');
    store.checkpoint();
    expect(store.lastBackgroundCheckpoint()).toBeNull();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
