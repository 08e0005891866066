import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { directoryTransport, Outbox, smtpTransport, type OutboxOptions } from '../deliver/outbox.js';
import type { MailTransport } from '../deliver/types.js';
import { ImapWatcher } from '../source/imap.js';
import { MaildirWatcher, seedMaildir, type MessageHandler } from '../source/maildir-watch.js';
import { Store } from '../store/store.js';
import { openLlmLayer } from '../llm/index.js';
import { Bot } from './bot.js';
import { createLogger } from './log.js';

/** The project root (where fixtures/demo-list lives), for seeding when run from elsewhere. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunOptions {
  log?: Logger;
  cwd?: string;
  now?: () => Date;
  /** how often the outbox is flushed besides after each post (default 5 s) */
  flushMs?: number;
  /** tests: a transport instead of the configured one */
  transport?: MailTransport;
  outboxOptions?: Partial<OutboxOptions>;
  /** tests: imapflow/watcher options */
  imapOptions?: Partial<ConstructorParameters<typeof ImapWatcher>[0]>;
  /** false: no cron (tests call bot.runDigest with their own clock) */
  schedule?: boolean;
}

export interface BotRuntime {
  bot: Bot;
  store: Store;
  outbox: Outbox;
  source: MaildirWatcher | ImapWatcher;
  log: Logger;
  /** resolves after every message handled so far has been flushed */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function resolvePath(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

interface Parts {
  bot: Bot;
  store: Store;
  outbox: Outbox;
  transport: MailTransport;
  source: MaildirWatcher | ImapWatcher;
  log: Logger;
  handler: MessageHandler;
  inHand: () => Promise<void>;
}

async function assemble(loaded: LoadedConfig, opts: RunOptions): Promise<Parts> {
  const { config } = loaded;
  const cwd = opts.cwd ?? process.cwd();
  const log = opts.log ?? createLogger(config.logLevel);
  const dbPath = resolvePath(cwd, config.db);
  // checkpoints on a worker thread: a burst of posts (a backfill) never waits for one in a commit
  const store = new Store(dbPath, { backgroundCheckpoint: true });
  // at start, not in the first post's answer
  store.readDuplicateKeys();
  const killSwitchFile = resolvePath(cwd, config.killSwitchFile);
  const transport =
    opts.transport ??
    (loaded.smtp
      ? smtpTransport(loaded.smtp.url, loaded.smtp.password, { allowInsecure: loaded.smtp.allowInsecure })
      : directoryTransport(resolvePath(cwd, config.outboxDir)));

  let imap: ImapWatcher | null = null;
  const outbox = new Outbox(store.db, transport, {
    botAddress: config.address,
    botName: config.name,
    xLoopSecret: config.xLoopSecret ?? store.secret('x-loop-secret'),
    killSwitchFile,
    killSwitchEnv: config.killSwitchEnv,
    perRecipientPerHour: config.rateLimits.perRecipientPerHour,
    globalPerHour: config.rateLimits.globalPerHour,
    log,
    ...(opts.now ? { now: opts.now } : {}),
    // the bot reads the list: our message arriving there (markSeen) or found there proves delivery
    deliveredCheck: async (messageId) => store.isProcessed(messageId) || (imap ? await imap.hasMessageId(messageId) : false),
    ...opts.outboxOptions,
  });
  // the LLM layer only when the config says so (and it has a key: without one it stays inactive)
  const llm = config.llm ? openLlmLayer({ log, db: store.db, overrides: { enabled: true }, ...(opts.now ? { clock: opts.now } : {}) }) : null;
  const bot = new Bot({ config: { ...config, killSwitchFile }, store, outbox, log, llm, ...(opts.now ? { now: opts.now } : {}) });

  let source: MaildirWatcher | ImapWatcher;
  if (loaded.imap) {
    const { url, ...connection } = loaded.imap;
    imap = new ImapWatcher({ ...connection, cursor: store, log, ...opts.imapOptions });
    source = imap;
    log.info({ imap: url, db: dbPath, transport: transport.name, listAddress: config.listAddress }, 'listwatch: watching a list over IMAP');
  } else {
    const dir = resolvePath(cwd, config.maildir);
    let seed = config.seedFrom ? resolvePath(cwd, config.seedFrom) : null;
    if (seed && !existsSync(seed) && config.seedFrom && !isAbsolute(config.seedFrom)) {
      const alt = resolve(PACKAGE_ROOT, config.seedFrom);
      if (existsSync(alt)) seed = alt;
    }
    await seedMaildir(dir, seed, log);
    source = new MaildirWatcher({ dir, log });
    log.info(
      { maildir: dir, db: dbPath, outbox: loaded.smtp ? transport.name : resolvePath(cwd, config.outboxDir), listAddress: config.listAddress },
      'listwatch: the embedded default, a Maildir list; drop a post into its new/ folder',
    );
  }

  let current: Promise<unknown> = Promise.resolve();
  const handler: MessageHandler = (raw, input, meta) => {
    const run = current.then(() => bot.handle(raw, input, meta?.backfill ? { answer: false } : {}));
    current = run.catch(() => undefined);
    return run;
  };
  return { bot, store, outbox, transport, source, log, handler, inHand: () => current.then(() => undefined) };
}

function logFlush(log: Logger, r: { sent: number; retrying: number; failed: number; held: number }): void {
  if (r.sent || r.failed) log.info(r, 'outbox flushed');
  else if (r.retrying || r.held) log.debug(r, 'outbox: waiting');
}

/** Starts the bot: the source, the outbox flusher and the digest schedule. Stop with `stop()`. */
export async function startBot(loaded: LoadedConfig, opts: RunOptions = {}): Promise<BotRuntime> {
  const parts = await assemble(loaded, opts);
  const { bot, store, outbox, transport, source, log } = parts;
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    flushing = flushing
      .then(() => outbox.flush())
      .then((r) => logFlush(log, r))
      .catch((err: Error) => log.error({ err: err.message }, 'outbox flush failed'));
    return flushing;
  };
  const handler: MessageHandler = async (raw, input, meta) => {
    const r = await parts.handler(raw, input, meta);
    void flush();
    return r;
  };
  const timer = setInterval(() => {
    void flush();
    // the WAL is copied back between posts, not inside one post's commit
    void parts.inHand().then(() => {
      try {
        store.checkpoint();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'WAL checkpoint failed');
      }
    });
  }, opts.flushMs ?? 5000);
  let task: ScheduledTask | null = null;
  if (opts.schedule !== false) {
    task = cron.schedule(
      loaded.config.digestCron,
      async () => {
        try {
          await bot.runDigestWithLlm();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'digest failed');
        }
        void flush();
      },
      { timezone: loaded.config.timeZone, noOverlap: true, name: 'listwatch-digest' },
    );
    log.info({ cron: loaded.config.digestCron, timeZone: loaded.config.timeZone }, 'digest scheduled');
  }
  if (source instanceof ImapWatcher) source.start(handler);
  else await source.start(handler);
  void flush();
  let stopping: Promise<void> | null = null;
  return {
    bot,
    store,
    outbox,
    source,
    log,
    async idle() {
      await parts.inHand();
      await flush();
    },
    stop() {
      stopping ??= (async () => {
        log.info('stopping: finishing the post in hand');
        clearInterval(timer);
        await task?.stop();
        await source.stop();
        await parts.inHand();
        await flush();
        await transport.close?.();
        store.close();
        log.info('stopped cleanly');
      })();
      return stopping;
    },
  };
}

/** `listwatch watch --once`: handles what is there, flushes the outbox, and returns. */
export async function runOnce(loaded: LoadedConfig, opts: RunOptions = {}): Promise<{ processed: number; sent: number; retrying: number; failed: number; held: number }> {
  const parts = await assemble(loaded, opts);
  const { outbox, transport, source, store, log } = parts;
  try {
    const processed = source instanceof ImapWatcher ? await source.once(parts.handler) : await source.drain(parts.handler);
    const r = await outbox.flush();
    log.info({ processed, ...r }, 'done');
    return { processed, ...r };
  } finally {
    await transport.close?.();
    store.close();
  }
}
