import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';
import type { CursorState } from '../store/store.js';
import type { MessageHandler } from './maildir-watch.js';

/** Messages fetched per round trip (collected, then handled one by one), and their bytes at most. */
const FETCH_CHUNK = 50;
const FETCH_CHUNK_BYTES = 64 * 1024 * 1024;
const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export interface ListedMessage {
  uid: number;
  size: number;
  tooLarge: boolean;
}

/**
 * The listing cut into fetch rounds of at most `count` messages and `bytes` of sources (a message
 * larger than that goes alone; one too large to fetch costs nothing), so a round never holds 50
 * messages of 50 MB.
 */
export function fetchRounds(listed: readonly ListedMessage[], count = FETCH_CHUNK, bytes = FETCH_CHUNK_BYTES): ListedMessage[][] {
  const rounds: ListedMessage[][] = [];
  let round: ListedMessage[] = [];
  let held = 0;
  for (const m of listed) {
    const cost = m.tooLarge ? 0 : m.size;
    if (round.length > 0 && (round.length >= count || held + cost > bytes)) {
      rounds.push(round);
      round = [];
      held = 0;
    }
    round.push(m);
    held += cost;
  }
  if (round.length > 0) rounds.push(round);
  return rounds;
}

export interface CursorStore {
  cursor(mailbox: string): CursorState | null;
  setCursor(mailbox: string, state: CursorState, at: string): void;
  meta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/** Where and as whom the watcher connects (the config's IMAP URL, read). */
export interface ImapConnection {
  host: string;
  port: number;
  /** TLS from the first byte (imaps://) */
  secure: boolean;
  user: string;
  password: string | undefined;
  mailbox: string;
  /** PEM CA certificate(s) the server's certificate must chain to, instead of the system's */
  ca?: string;
}

export interface ImapWatchOptions extends ImapConnection {
  cursor: CursorStore;
  log: Logger;
  /** ms after the last command before IDLE starts (imapflow's default of 15 s makes a bot slow) */
  autoIdleDelay?: number;
  /** how often the watchdog compares the server's UIDNEXT with the cursor (default 60 s) */
  watchdogMs?: number;
  /** a watchdog probe slower than this counts as a dead connection (default 30 s) */
  probeTimeoutMs?: number;
  /** first reconnect delay, doubled up to backoffMaxMs (defaults 1 s and 60 s) */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /**
   * On the very first start (no cursor yet) the mailbox's existing messages are history: they are
   * analysed but not answered (default true). Mail arriving after that first look is answered.
   */
  backfillFirstRun?: boolean;
  /** extra imapflow options (tests: tls) */
  clientOptions?: Partial<ImapFlowOptions>;
}

function sleep(ms: number, signal: { stopped: boolean; wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

/**
 * Watches one IMAP mailbox: IDLE with a short autoIdleDelay, a durable (UIDVALIDITY, last UID)
 * cursor, catch-up by UID range after every (re)connect, a new ImapFlow after every close (with
 * backoff), and a watchdog for an IDLE that silently died. Fetch results are collected before any
 * of them is handled, so no IMAP command ever runs inside a fetch loop. The cursor moves past a
 * message only after the handler resolved (its analysis is committed).
 */
export class ImapWatcher {
  private client: ImapFlow | null = null;
  private readonly signal: { stopped: boolean; wake?: () => void } = { stopped: false };
  private supervisor: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private handler: MessageHandler | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  /** number of connections made (tests watch reconnects) */
  connections = 0;
  processed = 0;

  constructor(private readonly opts: ImapWatchOptions) {}

  get connected(): boolean {
    return !!this.client?.usable;
  }

  /** Caught up and waiting in IDLE for the server's next notice. */
  get idling(): boolean {
    return this.connected && !this.draining && !!this.client?.idling;
  }

  /** Serialises IMAP work of ours (fetch collection, watchdog probe, searches). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private newClient(): ImapFlow {
    return new ImapFlow({
      host: this.opts.host,
      port: this.opts.port,
      secure: this.opts.secure,
      auth: { user: this.opts.user, pass: this.opts.password ?? '' },
      logger: false,
      autoIdleDelay: this.opts.autoIdleDelay ?? 500,
      maxIdleTime: 5 * 60_000,
      connectionTimeout: 30_000,
      greetingTimeout: 16_000,
      socketTimeout: 10 * 60_000,
      ...(this.opts.ca ? { tls: { ca: this.opts.ca } } : {}),
      ...this.opts.clientOptions,
    });
  }

  /** Connects and keeps watching until stop(); returns at once (the loop runs in the background). */
  start(handler: MessageHandler): void {
    this.handler = handler;
    this.signal.stopped = false;
    this.supervisor = this.supervise();
  }

  /**
   * Connects once, handles everything past the cursor, and disconnects (`listwatch watch --once`).
   * Returns how many messages were handled.
   */
  async once(handler: MessageHandler): Promise<number> {
    this.handler = handler;
    const client = this.newClient();
    client.on('error', (err: Error) => this.opts.log.warn({ err: err.message }, 'IMAP connection error'));
    await client.connect();
    this.client = client;
    try {
      await client.mailboxOpen(this.opts.mailbox);
      const before = this.processed;
      await this.catchUp(client);
      return this.processed - before;
    } finally {
      this.client = null;
      await client.logout().catch(() => client.close());
    }
  }

  private async supervise(): Promise<void> {
    const min = this.opts.backoffMinMs ?? 1000;
    const max = this.opts.backoffMaxMs ?? 60_000;
    let backoff = min;
    const log = this.opts.log.child({ component: 'imap', mailbox: this.opts.mailbox, host: this.opts.host });
    while (!this.signal.stopped) {
      const client = this.newClient();
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('error', (err: Error) => log.warn({ err: err.message }, 'IMAP connection error'));
      let watchdog: NodeJS.Timeout | null = null;
      try {
        await client.connect();
        const mb = await client.mailboxOpen(this.opts.mailbox);
        this.client = client;
        this.connections++;
        backoff = min;
        log.info({ uidValidity: String(mb.uidValidity), exists: mb.exists, uidNext: mb.uidNext }, 'connected; watching the mailbox (IDLE)');
        client.on('exists', () => this.kick(client, log));
        watchdog = setInterval(() => void this.probe(client, log), this.opts.watchdogMs ?? 60_000);
        this.kick(client, log);
        await closed;
        if (!this.signal.stopped) log.warn('IMAP connection closed; reconnecting with a new client');
      } catch (err) {
        if (!this.signal.stopped) log.warn({ err: (err as Error).message, retryInMs: backoff }, 'IMAP connect failed');
      } finally {
        if (watchdog) clearInterval(watchdog);
        if (this.client === client) this.client = null;
        client.removeAllListeners('exists');
        if (client.usable) client.close();
      }
      // the message in hand finishes before a new connection (or the stop) proceeds
      await this.draining;
      if (this.signal.stopped) break;
      await sleep(backoff, this.signal);
      backoff = Math.min(backoff * 2, max);
    }
  }

  /** New mail (or a reconnect): catch up, once at a time, again if more arrived meanwhile. */
  private kick(client: ImapFlow, log: Logger): void {
    if (this.signal.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUp(client);
        } while (this.again && !this.signal.stopped && client.usable);
      } catch (err) {
        if (client.usable && !this.signal.stopped) {
          log.error({ err: (err as Error).message }, 'catch-up failed; closing the connection to start over');
          client.close();
        }
      } finally {
        this.draining = null;
      }
    })();
  }

  /**
   * Fetches every message past the cursor, by UID, in chunks: collect a chunk, then hand each to
   * the handler and move the cursor after it. A UIDVALIDITY change restarts from UID 1 (the bot
   * dedupes by Message-ID).
   */
  private async catchUp(client: ImapFlow): Promise<void> {
    const mailbox = this.opts.mailbox;
    const log = this.opts.log.child({ component: 'imap', mailbox });
    for (;;) {
      if (this.signal.stopped || !client.usable || !client.mailbox) return;
      const uidValidity = String(client.mailbox.uidValidity);
      let cursor = this.opts.cursor.cursor(mailbox);
      const backfillKey = `imap-backfill:${mailbox}`;
      if (!cursor && this.opts.backfillFirstRun !== false && this.opts.cursor.meta(backfillKey) === null) {
        // remembered, so a crash in the middle of the backfill does not answer the rest
        const below = Number(client.mailbox.uidNext ?? 1);
        this.opts.cursor.setMeta(backfillKey, `${uidValidity}:${below}`);
        log.info({ history: below - 1 }, 'first start on this mailbox: existing posts are read as history, not answered');
      }
      const [bfValidity, bfBelow] = (this.opts.cursor.meta(backfillKey) ?? ':0').split(':');
      const quietBelow = bfValidity === uidValidity ? Number(bfBelow) : 0;
      if (!cursor || cursor.uidValidity !== uidValidity) {
        if (cursor) log.warn({ old: cursor.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: rescanning the mailbox (posts already seen are skipped by Message-ID)');
        cursor = { uidValidity, lastUid: 0 };
        this.opts.cursor.setCursor(mailbox, cursor, new Date().toISOString());
      }
      const from = cursor.lastUid + 1;
      // one listing of what is past the cursor, then the sources chunk by chunk
      const listed = await this.exclusive(async () => {
        const found: ListedMessage[] = [];
        // `N:*` also returns the highest message when N is past it; hence the filter
        for await (const m of client.fetch(`${from}:*`, { uid: true, size: true }, { uid: true })) {
          const size = m.size ?? 0;
          if (m.uid >= from) found.push({ uid: m.uid, size, tooLarge: size > MAX_MESSAGE_BYTES });
        }
        return found.sort((a, b) => a.uid - b.uid);
      });
      if (listed.length === 0) return;
      for (const chunk of fetchRounds(listed)) {
        const wanted = chunk.filter((c) => !c.tooLarge).map((c) => c.uid);
        const sources = new Map<number, Buffer>();
        if (wanted.length) {
          await this.exclusive(async () => {
            for await (const m of client.fetch(wanted.join(','), { uid: true, source: true }, { uid: true })) {
              if (m.source) sources.set(m.uid, m.source);
            }
          });
        }
        // the chunk is collected; now each message is handled, with no fetch in progress
        for (const { uid, tooLarge } of chunk) {
          if (this.signal.stopped || !client.usable) return;
          const source = sources.get(uid);
          if (tooLarge) log.warn({ uid }, `message larger than ${MAX_MESSAGE_BYTES} bytes; skipped`);
          else if (!source) {
            // expunged meanwhile, or the server will not give it: move on rather than loop
            log.warn({ uid }, 'message listed but its source was not returned; skipped');
          }
          else {
            await this.handler!(source, `imap:${mailbox}/${uidValidity}/${uid}`, { backfill: uid < quietBelow });
            this.processed++;
          }
          this.opts.cursor.setCursor(mailbox, { uidValidity, lastUid: uid }, new Date().toISOString());
        }
      }
    }
  }

  /** Watchdog: an IDLE can die silently; compare the server's UIDNEXT with the cursor. */
  private async probe(client: ImapFlow, log: Logger): Promise<void> {
    if (!client.usable || this.signal.stopped || this.draining) return;
    const timeout = this.opts.probeTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const status = await Promise.race([
        this.exclusive(() => client.status(this.opts.mailbox, { uidNext: true, uidValidity: true })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeout} ms`)), timeout);
        }),
      ]);
      const cursor = this.opts.cursor.cursor(this.opts.mailbox);
      if (status && status.uidNext !== undefined && cursor && status.uidNext - 1 > cursor.lastUid) {
        log.warn({ uidNext: status.uidNext, lastUid: cursor.lastUid }, 'watchdog: mail arrived without an IDLE notice; catching up');
        this.kick(client, log);
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'watchdog: the connection does not answer; reconnecting');
      client.close();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a message with this Message-ID is in the mailbox (the outbox's delivery check). */
  async hasMessageId(messageId: string): Promise<boolean> {
    const client = this.client;
    if (!client?.usable) throw new Error('IMAP not connected');
    const id = messageId.replace(/^<|>$/g, '');
    const found = await this.exclusive(() => client.search({ header: { 'message-id': `<${id}>` } }, { uid: true }));
    return Array.isArray(found) && found.length > 0;
  }

  /** Stops: the message in hand finishes, then the connection closes. */
  async stop(): Promise<void> {
    this.signal.stopped = true;
    this.signal.wake?.();
    await this.draining;
    const client = this.client;
    if (client?.usable) await client.logout().catch(() => client.close());
    await this.supervisor;
  }
}
