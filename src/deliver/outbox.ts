// The outbox: every message the bot sends is a row here before it is sent, so that a crash at
// any point never yields a second copy for the same cause.
//
// States: queued → sending → sent | failed, and held (kill switch, rate limit, or an outcome we
// cannot know). 'sending' is written before the SMTP transaction starts; 'sent' only on the
// server's acceptance. A row still in 'sending' when a flush starts is from a process that died
// between those two writes: the message may or may not be on the list. It is NOT resent blindly:
// - `deliveredCheck(messageId)` (the bot searches the list / Sent folder over IMAP) or a
//   `markSeen` from the bot's own reading of the list says it arrived → 'sent';
// - otherwise it is held ('unconfirmed') until one of them says so, or until `unconfirmedGraceMs`
//   has passed since the attempt; then it is sent once more.
// The trade-off: with no way to confirm, after the grace period we prefer one possible duplicate
// to a silently lost answer. A list slower than the grace period to distribute our own message
// could show it twice; a longer grace means a later answer after a real loss.
// A transport that is idempotent (the directory transport overwrites the same file) skips all that.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { MailTransport, OutgoingMail } from './types.js';
import { buildMime, cleanAddress, cleanMessageId } from './mime.js';
import { normalizeReplySubject } from './subject.js';
import { replyReferences } from './compose.js';

export { smtpTransport } from './smtp-transport.js';
export { directoryTransport } from './directory-transport.js';

export interface OutboxOptions {
  botAddress: string;
  botName?: string;
  xLoopSecret: string;
  /** nothing is sent while this file exists */
  killSwitchFile?: string;
  /** nothing is sent while this environment variable is set (non-empty and not `0`) */
  killSwitchEnv?: string;
  perRecipientPerHour?: number;
  globalPerHour?: number;
  log: Logger;
  /** true when the message is known to have reached the list (e.g. an IMAP search by Message-ID) */
  deliveredCheck?: (messageId: string) => Promise<boolean>;
  now?: () => Date;
  /** how long a message of unknown outcome waits for confirmation before it is resent (default 6 h) */
  unconfirmedGraceMs?: number;
  /** how often deliveredCheck is asked again for a held message (default 60 s) */
  recheckMs?: number;
  /** a deliveredCheck that takes longer counts as "unknown" (default 30 s) */
  deliveredCheckTimeoutMs?: number;
  /** first retry delay after a 4xx or no connection, doubled each time (default 30 s) */
  retryBaseMs?: number;
  /** longest retry delay (default 1 h) */
  retryMaxMs?: number;
  /** transient failures before a message is given up as failed (default 12) */
  maxAttempts?: number;
}

export interface FlushResult {
  /** accepted by the server in this flush (or confirmed delivered) */
  sent: number;
  /** rows waiting for a retry after a 4xx or no connection, after this flush */
  retrying: number;
  /** rows that became 'failed' in this flush */
  failed: number;
  /** rows in 'held' after this flush (kill switch, rate limit, unconfirmed) */
  held: number;
}

type State = 'queued' | 'sending' | 'sent' | 'failed' | 'held';
type HeldReason = 'kill-switch' | 'rate-limit' | 'unconfirmed';

interface Row {
  message_id: string;
  cause: string;
  kind: string;
  envelope_to: string;
  raw: Buffer;
  state: State;
  held_reason: HeldReason | null;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  sending_at: string | null;
  sent_at: string | null;
  seen_at: string | null;
  failed_at: string | null;
  checked_at: string | null;
  last_response: string | null;
  server_message_id: string | null;
}

const HOUR_MS = 3_600_000;
const X_LOOP_PREFIX = 'lw1-';
const MAX_CAUSE = 4000;

export function migrateOutbox(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox_messages (
      message_id TEXT PRIMARY KEY,
      cause TEXT NOT NULL,
      kind TEXT NOT NULL,
      envelope_to TEXT NOT NULL,
      raw BLOB NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','failed','held')),
      held_reason TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT NOT NULL,
      created_at TEXT NOT NULL,
      sending_at TEXT,
      sent_at TEXT,
      seen_at TEXT,
      failed_at TEXT,
      checked_at TEXT,
      last_response TEXT,
      server_message_id TEXT
    );
    CREATE INDEX IF NOT EXISTS outbox_messages_state ON outbox_messages (state, next_attempt_at);
    CREATE INDEX IF NOT EXISTS outbox_messages_server_id ON outbox_messages (server_message_id) WHERE server_message_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS outbox_messages_failed ON outbox_messages (failed_at) WHERE state = 'failed';
    CREATE TABLE IF NOT EXISTS outbox_sends (
      message_id TEXT NOT NULL,
      recipient TEXT NOT NULL,
      at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_sends_at ON outbox_sends (at);
  `);
}

/** The X-Loop token of one of our messages: HMAC-SHA256(secret, Message-ID), truncated. */
export function xLoopToken(secret: string, messageId: string): string {
  const id = cleanMessageId(messageId) ?? messageId;
  return X_LOOP_PREFIX + createHmac('sha256', secret).update(id).digest('hex').slice(0, 32);
}

export function killSwitchActive(file: string | undefined, envName: string | undefined): string | null {
  if (envName) {
    const v = process.env[envName];
    if (v !== undefined && v !== '' && v !== '0') return `environment variable ${envName} is set`;
  }
  if (file && existsSync(file)) return `file ${file} exists`;
  return null;
}

export class Outbox {
  private readonly db: Database;
  private readonly transport: MailTransport;
  private readonly opts: OutboxOptions;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly botAddress: string;
  private readonly botDomain: string;
  private readonly graceMs: number;
  private readonly recheckMs: number;
  private readonly checkTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxAttempts: number;
  private readonly perRecipientPerHour: number;
  private readonly globalPerHour: number;
  private flushChain: Promise<unknown> = Promise.resolve();

  constructor(db: Database, transport: MailTransport, opts: OutboxOptions) {
    const bot = cleanAddress(opts.botAddress);
    if (!bot) throw new Error(`outbox: the bot address ${JSON.stringify(opts.botAddress)} is not an e-mail address`);
    if (!opts.xLoopSecret) throw new Error('outbox: xLoopSecret must not be empty');
    this.db = db;
    this.transport = transport;
    this.opts = opts;
    this.log = opts.log.child({ component: 'outbox', transport: transport.name });
    this.now = opts.now ?? (() => new Date());
    this.botAddress = bot;
    this.botDomain = bot.slice(bot.lastIndexOf('@') + 1).toLowerCase();
    this.graceMs = opts.unconfirmedGraceMs ?? 6 * HOUR_MS;
    this.recheckMs = opts.recheckMs ?? 60_000;
    this.checkTimeoutMs = opts.deliveredCheckTimeoutMs ?? 30_000;
    this.retryBaseMs = opts.retryBaseMs ?? 30_000;
    this.retryMaxMs = opts.retryMaxMs ?? HOUR_MS;
    this.maxAttempts = opts.maxAttempts ?? 12;
    this.perRecipientPerHour = opts.perRecipientPerHour ?? 20;
    this.globalPerHour = opts.globalPerHour ?? 60;
    migrateOutbox(db);
    const inFlight = (db.prepare(`SELECT COUNT(*) AS n FROM outbox_messages WHERE state = 'sending'`).get() as { n: number }).n;
    if (inFlight > 0) {
      this.log.warn({ count: inFlight }, 'messages were being sent when the bot stopped; the next flush confirms them before anything is resent');
    }
  }

  /** The Message-ID (without brackets) the message for this cause has or will have. */
  messageIdFor(cause: string): string {
    const hash = createHash('sha256').update(`${this.botAddress.toLowerCase()}\0${cause}`).digest('hex').slice(0, 32);
    return `lw.${hash}@${this.botDomain}`;
  }

  enqueue(mail: OutgoingMail): { messageId: string; queued: boolean } {
    const cause = typeof mail.cause === 'string' ? mail.cause : '';
    if (!cause || cause.length > MAX_CAUSE) throw new Error(`outbox: a message needs a cause of 1..${MAX_CAUSE} characters`);
    const messageId = this.messageIdFor(cause);
    const existing = this.db.prepare('SELECT state FROM outbox_messages WHERE message_id = ?').get(messageId) as { state: State } | undefined;
    if (existing) {
      this.log.debug({ cause, messageId, state: existing.state }, 'already in the outbox for this cause; not queued again');
      return { messageId, queued: false };
    }
    const to = cleanList(mail.to);
    const cc = cleanList(mail.cc ?? []).filter((a) => !to.some((t) => t.toLowerCase() === a.toLowerCase()));
    const envelope = [...to, ...cc];
    if (envelope.length === 0) {
      this.log.error({ cause, to: mail.to, cc: mail.cc }, 'no valid recipient; nothing queued');
      return { messageId, queued: false };
    }
    const dropped = [...mail.to, ...(mail.cc ?? [])].length - envelope.length;
    if (dropped > 0) this.log.warn({ cause, dropped }, 'recipients dropped: not plain addresses or repeated');

    const now = this.now();
    const autoSubmitted = mail.kind === 'reply' ? 'auto-replied' : 'auto-generated';
    const precedence = mail.kind === 'reply' ? 'list' : 'bulk';
    const inReplyTo = mail.inReplyTo ? cleanMessageId(mail.inReplyTo) ?? undefined : undefined;
    const references = inReplyTo
      ? replyReferences(mail.references ?? [], inReplyTo)
      : replyReferences((mail.references ?? []).slice(0, -1), (mail.references ?? []).at(-1) ?? '');
    const subject = mail.kind === 'reply' ? normalizeReplySubject(mail.subject) : mail.subject;
    const raw = buildMime({
      from: { name: this.opts.botName ?? 'listwatch', address: this.botAddress },
      to,
      cc,
      subject,
      date: now,
      messageId,
      inReplyTo,
      references,
      headers: [
        ['Auto-Submitted', autoSubmitted],
        ['Precedence', precedence],
        ['X-Auto-Response-Suppress', 'All'],
        ['X-Loop', xLoopToken(this.opts.xLoopSecret, messageId)],
      ],
      text: mail.text,
      html: mail.html,
      attachments: mail.attachments,
    });
    const at = now.toISOString();
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO outbox_messages (message_id, cause, kind, envelope_to, raw, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
      )
      .run(messageId, cause, mail.kind, JSON.stringify(envelope), raw, at, at);
    const queued = info.changes === 1;
    this.log.info({ cause, messageId, kind: mail.kind, recipients: envelope.length, bytes: raw.length, queued }, queued ? 'queued' : 'already queued');
    return { messageId, queued };
  }

  /** Sends what is due. Calls are serialised: a flush never overlaps another one. */
  flush(): Promise<FlushResult> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  markSeen(messageId: string): void {
    const id = cleanMessageId(messageId);
    if (!id) return;
    const at = this.now().toISOString();
    const row = this.findRow(id);
    if (!row) return;
    this.db
      .prepare(
        `UPDATE outbox_messages SET seen_at = COALESCE(seen_at, ?), state = 'sent', held_reason = NULL,
           sent_at = COALESCE(sent_at, ?) WHERE message_id = ?`,
      )
      .run(at, at, row.message_id);
    if (row.state !== 'sent') this.log.info({ messageId: row.message_id, was: row.state }, 'seen on the list: delivered');
  }

  isOwnMessage(headers: { messageId?: string | null; xLoop?: string[] }): boolean {
    const id = headers.messageId ? cleanMessageId(headers.messageId) : null;
    if (!id) return false;
    const expected = Buffer.from(xLoopToken(this.opts.xLoopSecret, id));
    for (const value of headers.xLoop ?? []) {
      if (typeof value !== 'string') continue;
      const got = Buffer.from(value.trim());
      if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
    }
    return this.findRow(id) !== undefined;
  }

  /** Our row for a Message-ID: ours, or the one a server put on our message instead. */
  private findRow(id: string): { message_id: string; state: State } | undefined {
    return this.db
      .prepare('SELECT message_id, state FROM outbox_messages WHERE message_id = ? OR server_message_id = ? LIMIT 1')
      .get(id, id) as { message_id: string; state: State } | undefined;
  }

  failuresSince(isoTime: string): Array<{ cause: string; error: string; at: string }> {
    const rows = this.db
      .prepare(`SELECT cause, last_response, failed_at FROM outbox_messages WHERE state = 'failed' AND failed_at >= ? ORDER BY failed_at, cause`)
      .all(normalizeIso(isoTime)) as Array<{ cause: string; last_response: string | null; failed_at: string }>;
    return rows.map((r) => ({ cause: r.cause, error: r.last_response ?? 'unknown error', at: r.failed_at }));
  }

  /** The state of the message for a Message-ID, or null (for status output and tests). */
  stateOf(messageId: string): { state: State; heldReason: HeldReason | null; attempts: number; nextAttemptAt: string; lastResponse: string | null } | null {
    const id = cleanMessageId(messageId);
    if (!id) return null;
    const r = this.db.prepare('SELECT * FROM outbox_messages WHERE message_id = ?').get(id) as Row | undefined;
    return r ? { state: r.state, heldReason: r.held_reason, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastResponse: r.last_response } : null;
  }

  /** The stored bytes of a message (what was or will be sent). */
  rawOf(messageId: string): Buffer | null {
    const id = cleanMessageId(messageId);
    if (!id) return null;
    const r = this.db.prepare('SELECT raw FROM outbox_messages WHERE message_id = ?').get(id) as { raw: Buffer } | undefined;
    return r ? Buffer.from(r.raw) : null;
  }

  private async flushOnce(): Promise<FlushResult> {
    let sent = 0;
    let failed = 0;
    sent += await this.recoverInterrupted();
    sent += await this.recheckUnconfirmed();

    const killed = killSwitchActive(this.opts.killSwitchFile, this.opts.killSwitchEnv);
    const due = this.dueRows();
    if (killed) {
      const fresh = due.filter((r) => r.state !== 'held' || r.held_reason !== 'kill-switch');
      if (fresh.length > 0) {
        const hold = this.db.prepare(`UPDATE outbox_messages SET state = 'held', held_reason = 'kill-switch' WHERE message_id = ?`);
        this.db.transaction(() => fresh.forEach((r) => hold.run(r.message_id)))();
        this.log.warn({ reason: killed, newlyHeld: fresh.length, held: due.length }, 'kill switch on: nothing sent');
      } else if (due.length > 0) {
        this.log.debug({ reason: killed, held: due.length }, 'kill switch still on');
      }
      return { ...this.counts(), sent, failed };
    }

    for (const row of due) {
      const now = this.now();
      const recipients = JSON.parse(row.envelope_to) as string[];
      const limit = this.rateLimited(recipients, now);
      if (limit) {
        if (row.state !== 'held' || row.held_reason !== 'rate-limit') {
          this.db.prepare(`UPDATE outbox_messages SET state = 'held', held_reason = 'rate-limit' WHERE message_id = ?`).run(row.message_id);
          this.log.warn({ cause: row.cause, messageId: row.message_id, limit }, 'rate limit reached: held');
        }
        continue;
      }
      const outcome = await this.sendOne(row, recipients);
      if (outcome === 'sent') sent++;
      else if (outcome === 'failed') failed++;
    }
    this.pruneSends();
    return { ...this.counts(), sent, failed };
  }

  private async sendOne(row: Row, recipients: string[]): Promise<'sent' | 'failed' | 'retry' | 'unconfirmed'> {
    const startedAt = this.now().toISOString();
    const attempts = row.attempts + 1;
    // The 'sending' mark must survive a power cut that comes after the server has the message:
    // rolled back to 'queued' it would be resent blindly. The store runs synchronous=NORMAL (a WAL
    // commit reaches the disk at the next checkpoint), so this one write is synced: one fsync per
    // message sent. 'sent' needs no sync: a lost 'sent' leaves 'sending', which recovery confirms.
    durably(this.db, () =>
      this.db
        .prepare(`UPDATE outbox_messages SET state = 'sending', held_reason = NULL, sending_at = ?, attempts = ? WHERE message_id = ?`)
        .run(startedAt, attempts, row.message_id),
    );
    const ctx = { cause: row.cause, messageId: row.message_id, attempt: attempts };
    let result;
    try {
      result = await this.transport.send({ messageId: row.message_id, raw: Buffer.from(row.raw), from: this.botAddress, to: recipients });
    } catch (err) {
      // outcome unknown: the server may have the message
      const message = errorText(err);
      this.recordSends(row.message_id, recipients, startedAt);
      if (this.transport.idempotent) {
        this.scheduleRetry(row, attempts, `unknown outcome: ${message}`);
        this.log.warn({ ...ctx, err: message }, 'send ended without an answer; the transport is idempotent, so it will be sent again');
        return 'retry';
      }
      const until = new Date(this.now().getTime() + this.graceMs).toISOString();
      this.db
        .prepare(`UPDATE outbox_messages SET state = 'held', held_reason = 'unconfirmed', next_attempt_at = ?, checked_at = ?, last_response = ? WHERE message_id = ?`)
        .run(until, startedAt, `unknown outcome: ${message}`, row.message_id);
      this.log.error({ ...ctx, err: message, resendAfter: until }, 'send ended without an answer; held until the list shows it or the grace period passes');
      return 'unconfirmed';
    }
    const at = this.now().toISOString();
    const response = oneLine(result.response);
    if (result.accepted) {
      this.db
        .prepare(`UPDATE outbox_messages SET state = 'sent', held_reason = NULL, sent_at = ?, last_response = ?, server_message_id = ? WHERE message_id = ?`)
        .run(at, response, result.serverMessageId ?? null, row.message_id);
      this.recordSends(row.message_id, recipients, at);
      this.log.info({ ...ctx, response }, 'sent');
      return 'sent';
    }
    if (result.permanent) {
      this.markFailed(row.message_id, response, at);
      this.log.error({ ...ctx, response }, 'refused permanently: failed (reported in the next digest)');
      return 'failed';
    }
    if (attempts >= this.maxAttempts) {
      this.markFailed(row.message_id, `gave up after ${attempts} attempts: ${response}`, at);
      this.log.error({ ...ctx, response }, 'temporary failures did not end: failed (reported in the next digest)');
      return 'failed';
    }
    const next = this.scheduleRetry(row, attempts, response);
    this.log.warn({ ...ctx, response, nextAttemptAt: next }, 'temporary failure: will retry');
    return 'retry';
  }

  private scheduleRetry(row: Row, attempts: number, response: string): string {
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(30, attempts - 1));
    const next = new Date(this.now().getTime() + delay).toISOString();
    this.db
      .prepare(`UPDATE outbox_messages SET state = 'queued', held_reason = NULL, next_attempt_at = ?, last_response = ? WHERE message_id = ?`)
      .run(next, response, row.message_id);
    return next;
  }

  private markFailed(messageId: string, response: string, at: string): void {
    this.db
      .prepare(`UPDATE outbox_messages SET state = 'failed', held_reason = NULL, failed_at = ?, last_response = ? WHERE message_id = ?`)
      .run(at, response, messageId);
  }

  /** Rows left in 'sending' by a process that stopped mid-send. */
  private async recoverInterrupted(): Promise<number> {
    const rows = this.db.prepare(`SELECT * FROM outbox_messages WHERE state = 'sending' ORDER BY created_at, rowid`).all() as Row[];
    let confirmed = 0;
    for (const row of rows) {
      const ctx = { cause: row.cause, messageId: row.message_id };
      if (this.transport.idempotent) {
        this.db.prepare(`UPDATE outbox_messages SET state = 'queued', next_attempt_at = ? WHERE message_id = ?`).run(this.now().toISOString(), row.message_id);
        this.log.warn(ctx, 'interrupted send; the transport is idempotent, so it is sent again');
        continue;
      }
      if (row.seen_at || (await this.askDelivered(row.message_id))) {
        this.markSentByConfirmation(row.message_id);
        this.log.info(ctx, 'interrupted send: the message is on the list, marked sent');
        confirmed++;
        continue;
      }
      const base = row.sending_at ? Date.parse(row.sending_at) : this.now().getTime();
      const until = new Date(base + this.graceMs).toISOString();
      this.db
        .prepare(`UPDATE outbox_messages SET state = 'held', held_reason = 'unconfirmed', next_attempt_at = ?, checked_at = ?, last_response = COALESCE(last_response, 'interrupted') WHERE message_id = ?`)
        .run(until, this.now().toISOString(), row.message_id);
      this.log.warn({ ...ctx, resendAfter: until }, 'interrupted send, not confirmed: held until the list shows it or the grace period passes');
    }
    return confirmed;
  }

  /** Held rows of unknown outcome: confirmed → sent; grace over → queued for one more send. */
  private async recheckUnconfirmed(): Promise<number> {
    const rows = this.db.prepare(`SELECT * FROM outbox_messages WHERE state = 'held' AND held_reason = 'unconfirmed' ORDER BY created_at, rowid`).all() as Row[];
    let confirmed = 0;
    for (const row of rows) {
      const now = this.now();
      const ctx = { cause: row.cause, messageId: row.message_id };
      const graceOver = now.toISOString() >= row.next_attempt_at;
      const recheckDue = !row.checked_at || now.getTime() - Date.parse(row.checked_at) >= this.recheckMs;
      if (graceOver || recheckDue) {
        this.db.prepare('UPDATE outbox_messages SET checked_at = ? WHERE message_id = ?').run(now.toISOString(), row.message_id);
        if (await this.askDelivered(row.message_id)) {
          this.markSentByConfirmation(row.message_id);
          this.log.info(ctx, 'unconfirmed send is on the list: marked sent');
          confirmed++;
          continue;
        }
      }
      if (graceOver) {
        this.db.prepare(`UPDATE outbox_messages SET state = 'queued', held_reason = NULL, next_attempt_at = ? WHERE message_id = ?`).run(now.toISOString(), row.message_id);
        this.log.warn(ctx, 'no confirmation within the grace period: sending again (a duplicate is possible if the list is slower than that)');
      }
    }
    return confirmed;
  }

  private async askDelivered(messageId: string): Promise<boolean> {
    const check = this.opts.deliveredCheck;
    if (!check) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
      timer.unref();
    });
    try {
      return (await Promise.race([check(messageId), timeout])) === true;
    } catch (err) {
      this.log.warn({ messageId, err: errorText(err) }, 'delivery check failed; treated as unknown');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private markSentByConfirmation(messageId: string): void {
    const at = this.now().toISOString();
    this.db
      .prepare(`UPDATE outbox_messages SET state = 'sent', held_reason = NULL, sent_at = COALESCE(sent_at, ?) WHERE message_id = ?`)
      .run(at, messageId);
  }

  private dueRows(): Row[] {
    return this.db
      .prepare(
        `SELECT * FROM outbox_messages
         WHERE (state = 'queued' AND next_attempt_at <= ?) OR (state = 'held' AND held_reason IN ('kill-switch', 'rate-limit'))
         ORDER BY created_at, rowid`,
      )
      .all(this.now().toISOString()) as Row[];
  }

  private rateLimited(recipients: string[], now: Date): string | null {
    const since = new Date(now.getTime() - HOUR_MS).toISOString();
    const global = (this.db.prepare('SELECT COUNT(DISTINCT message_id) AS n FROM outbox_sends WHERE at > ?').get(since) as { n: number }).n;
    if (global >= this.globalPerHour) return `global ${this.globalPerHour}/h`;
    const perRecipient = this.db.prepare('SELECT COUNT(*) AS n FROM outbox_sends WHERE recipient = ? AND at > ?');
    for (const r of recipients) {
      const n = (perRecipient.get(r.toLowerCase(), since) as { n: number }).n;
      if (n >= this.perRecipientPerHour) return `${r}: ${this.perRecipientPerHour}/h`;
    }
    return null;
  }

  private recordSends(messageId: string, recipients: string[], at: string): void {
    const ins = this.db.prepare('INSERT INTO outbox_sends (message_id, recipient, at) VALUES (?, ?, ?)');
    this.db.transaction(() => recipients.forEach((r) => ins.run(messageId, r.toLowerCase(), at)))();
  }

  private pruneSends(): void {
    const before = new Date(this.now().getTime() - 2 * HOUR_MS).toISOString();
    this.db.prepare('DELETE FROM outbox_sends WHERE at < ?').run(before);
  }

  /** Runs on every flush: by the state index, so the history of sent messages (and their bytes) is not read. */
  private counts(): { retrying: number; held: number } {
    return this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM outbox_messages WHERE state = 'queued' AND attempts > 0) AS retrying,
                (SELECT COUNT(*) FROM outbox_messages WHERE state = 'held') AS held`,
      )
      .get() as { retrying: number; held: number };
  }
}

function cleanList(addresses: string[]): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const c = cleanAddress(a);
    if (c && !out.some((o) => o.toLowerCase() === c.toLowerCase())) out.push(c);
  }
  return out;
}

function normalizeIso(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString();
}

function oneLine(s: string): string {
  return String(s ?? '').replace(/[\r\n]+/g, ' ').trim().slice(0, 1000);
}

function errorText(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

/** Runs one write with synchronous=FULL, so its commit is on the disk when it returns (WAL: the log is synced). */
function durably<T>(db: Database, write: () => T): T {
  const level = db.pragma('synchronous', { simple: true }) as number;
  // 2 = FULL; the level cannot be raised for part of an open transaction, whose commit decides
  if (level >= 2 || db.inTransaction) return write();
  db.pragma('synchronous = FULL');
  try {
    return write();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
