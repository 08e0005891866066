// Builds a real Bot (real store, real outbox, real directory or SMTP transport) in a temp dir.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { Bot } from '../../src/bot/bot.js';
import { directoryTransport, Outbox, type OutboxOptions } from '../../src/deliver/outbox.js';
import type { MailTransport } from '../../src/deliver/types.js';
import { Store, type StoreOptions } from '../../src/store/store.js';
import type { LlmLayer } from '../../src/llm/index.js';
import { BOT_ADDRESS, LIST_ADDRESS } from './bot-mail.js';

export interface Harness {
  dir: string;
  config: Config;
  store: Store;
  outbox: Outbox;
  bot: Bot;
  outboxDir: string;
  clock: { now: Date };
  handle(raw: string | Buffer, input?: string): ReturnType<Bot['handle']>;
  /** rows of the outbox table: what the bot decided to send */
  outgoing(): Array<{ cause: string; kind: string; to: string[]; raw: string; state: string }>;
  close(): void;
}

export function quietLog(): pino.Logger {
  return pino({ level: process.env.LISTWATCH_TEST_LOG ?? 'silent' });
}

export function makeBot(
  overrides: ConfigInput = {},
  opts: { transport?: MailTransport; outbox?: Partial<OutboxOptions>; dir?: string; llm?: (store: Store, log: pino.Logger) => LlmLayer; store?: StoreOptions } = {},
): Harness {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'listwatch-bot-'));
  const config = configSchema.parse({
    address: BOT_ADDRESS,
    listAddress: LIST_ADDRESS,
    db: join(dir, 'state.db'),
    killSwitchFile: join(dir, 'STOP'),
    killSwitchEnv: 'LISTWATCH_TEST_STOP',
    ...overrides,
  });
  const clock = { now: new Date('2026-11-25T10:00:00Z') };
  const now = (): Date => new Date(clock.now);
  const store = new Store(config.db, opts.store);
  const outboxDir = join(dir, 'outbox');
  const log = quietLog();
  const outbox = new Outbox(store.db, opts.transport ?? directoryTransport(outboxDir), {
    botAddress: config.address,
    xLoopSecret: store.secret('x-loop-secret'),
    killSwitchFile: config.killSwitchFile,
    killSwitchEnv: config.killSwitchEnv,
    perRecipientPerHour: config.rateLimits.perRecipientPerHour,
    globalPerHour: config.rateLimits.globalPerHour,
    log,
    now,
    ...opts.outbox,
  });
  const bot = new Bot({ config, store, outbox, log, now, llm: opts.llm ? opts.llm(store, log) : null, llmBudgetMs: 3000 });
  let n = 0;
  return {
    dir,
    config,
    store,
    outbox,
    bot,
    outboxDir,
    clock,
    handle: (raw, input) => bot.handle(Buffer.isBuffer(raw) ? raw : Buffer.from(raw), input ?? `test#${++n}`),
    outgoing: () =>
      (store.db.prepare('SELECT cause, kind, envelope_to, raw, state FROM outbox_messages ORDER BY created_at, rowid').all() as Array<{
        cause: string;
        kind: string;
        envelope_to: string;
        raw: Buffer;
        state: string;
      }>).map((r) => ({ cause: r.cause, kind: r.kind, to: JSON.parse(r.envelope_to) as string[], raw: r.raw.toString('utf8'), state: r.state })),
    close: () => store.close(),
  };
}

export function emlFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  } catch {
    return [];
  }
}

/** The value of a header in a raw message (first occurrence, unfolded). */
export function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return m ? m[1]!.trim() : null;
}

/** The decoded text/plain body (quoted-printable undone). */
export function bodyText(raw: string): string {
  const parts = raw.split(/\r?\n\r?\n/);
  const body = parts.slice(1).join('\n\n');
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
