import { watch, type FSWatcher } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';

export interface MessageMeta {
  /** history read on the first start: analyse it, never answer it */
  backfill?: boolean;
}

/** Called for each new message; resolves once its analysis is committed. */
export type MessageHandler = (raw: Buffer, input: string, meta?: MessageMeta) => Promise<unknown>;

/** Messages larger than this are moved aside unread (the parser caps bodies far below it). */
const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export interface MaildirWatchOptions {
  dir: string;
  log: Logger;
  /** a periodic rescan of new/ in case fs.watch misses an event (default 2 s) */
  rescanMs?: number;
}

export async function ensureMaildir(dir: string): Promise<void> {
  for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * First run: when `dir` does not exist, creates it and copies every message of the seed Maildir
 * (new/ and cur/) into its new/, so the bot reads the demo list as if the posts had just arrived.
 * Returns how many messages were seeded, or null when the dir existed already.
 */
export async function seedMaildir(dir: string, seedFrom: string | null, log: Logger): Promise<number | null> {
  if (await exists(join(dir, 'new'))) return null;
  await ensureMaildir(dir);
  if (!seedFrom || !(await exists(seedFrom))) {
    log.warn({ dir, seedFrom }, 'created an empty Maildir list (no seed folder found); drop posts into its new/ folder');
    return 0;
  }
  let n = 0;
  for (const sub of ['cur', 'new']) {
    const from = join(seedFrom, sub);
    if (!(await exists(from))) continue;
    for (const name of (await readdir(from)).sort()) {
      if (name.startsWith('.')) continue;
      const base = name.split(':')[0]!;
      await copyFile(join(from, name), join(dir, 'new', base));
      n++;
    }
  }
  log.info({ dir, seedFrom, messages: n }, 'seeded the list Maildir from the demo list');
  return n;
}

/**
 * The embedded default's source: a Maildir whose new/ is watched (fs.watch plus a periodic rescan).
 * Each file is handled once, in name order, then moved to cur/ with the Seen flag. A crash before
 * the move means the file is read again on restart; the bot dedupes it by Message-ID.
 */
export class MaildirWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private stopped = false;
  private readonly newDir: string;
  private readonly curDir: string;
  processed = 0;

  constructor(private readonly opts: MaildirWatchOptions) {
    this.newDir = join(opts.dir, 'new');
    this.curDir = join(opts.dir, 'cur');
  }

  /** Handles everything in new/ now; resolves when new/ was seen empty (or stop was asked). */
  async drain(handler: MessageHandler): Promise<number> {
    const before = this.processed;
    await ensureMaildir(this.opts.dir);
    // entries that are not files stay in new/; without this the pass would list them forever
    const leftAlone = new Set<string>();
    for (;;) {
      if (this.stopped) break;
      const names = (await readdir(this.newDir)).filter((n) => !n.startsWith('.') && !leftAlone.has(n)).sort();
      if (names.length === 0) break;
      for (const name of names) {
        if (this.stopped) break;
        if (!(await this.handleFile(name, handler))) leftAlone.add(name);
      }
    }
    return this.processed - before;
  }

  /** False when the entry is not a file and was left where it is. */
  private async handleFile(name: string, handler: MessageHandler): Promise<boolean> {
    const path = join(this.newDir, name);
    let raw: Buffer;
    try {
      const st = await stat(path);
      if (!st.isFile()) return false;
      if (st.size > MAX_MESSAGE_BYTES) {
        this.opts.log.warn({ file: path, bytes: st.size }, 'message too large; moved to cur/ unread');
        await this.moveToCur(name);
        return true;
      }
      raw = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // moved by someone else
      throw err;
    }
    await handler(raw, path);
    await this.moveToCur(name);
    this.processed++;
    return true;
  }

  private async moveToCur(name: string): Promise<void> {
    const base = basename(name).split(':')[0]!;
    try {
      await rename(join(this.newDir, name), join(this.curDir, `${base}:2,S`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Watches new/ until stop(); each pass runs after the previous one finished. */
  async start(handler: MessageHandler): Promise<void> {
    await ensureMaildir(this.opts.dir);
    this.stopped = false;
    const kick = (): void => {
      if (this.stopped) return;
      if (this.running) {
        this.rerun = true;
        return;
      }
      this.running = (async () => {
        try {
          do {
            this.rerun = false;
            await this.drain(handler);
          } while (this.rerun && !this.stopped);
        } catch (err) {
          this.opts.log.error({ err: (err as Error).message }, 'maildir pass failed; retrying on the next rescan');
        } finally {
          this.running = null;
        }
      })();
    };
    try {
      this.watcher = watch(this.newDir, () => kick());
      this.watcher.on('error', (err) => this.opts.log.warn({ err: err.message }, 'fs.watch failed; relying on the periodic rescan'));
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'fs.watch unavailable; relying on the periodic rescan');
    }
    this.timer = setInterval(kick, this.opts.rescanMs ?? 2000);
    kick();
    this.opts.log.info({ dir: this.newDir }, 'watching the list Maildir for new posts');
  }

  /** Stops watching; waits for the message in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
