// The bot over real TCP: an IMAP server (hoodiecrow in process; Dovecot when installed, and always
// in CI) and an SMTP sink (smtp-server in process). The same tests run against both IMAP servers.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { runOnce, startBot, type BotRuntime } from '../src/bot/run.js';
import { fetchRounds, ImapWatcher } from '../src/source/imap.js';
import { Store } from '../src/store/store.js';
import { startImapServer, type TestImapServer } from './helpers/imap-server.js';
import { requireDovecotInCi, startDovecot, type DovecotServer } from './helpers/dovecot.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';
import { BOT_ADDRESS, buildPost, commandPost, LIST_ADDRESS, LIST_ID, recordsPost } from './helpers/bot-mail.js';
import { header, quietLog } from './helpers/bot-harness.js';

const REPO = join(import.meta.dirname, '..');
const SIGRID = 'Sigrid Holm <sigrid@cert.fjordnet.example>';
const AROHA = 'Aroha Ngata <aroha@noc.harbour-uni.example>';
const ROOT = 'root-imap@noc.harbour-uni.example';

type Server = (TestImapServer | DovecotServer) & { destroy?: () => Promise<void> };

const servers: Array<{ name: string; available: boolean; start: () => Promise<Server> }> = [
  { name: 'hoodiecrow', available: true, start: startImapServer },
  { name: 'Dovecot', available: requireDovecotInCi(), start: startDovecot },
];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor<T>(fn: () => T | null | undefined | false, timeoutMs: number, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function env(srv: Server, sink: SmtpSink, cwd: string): Record<string, string> {
  return {
    LISTWATCH_IMAP_URL: `imap://${srv.user}@127.0.0.1:${srv.port}/INBOX`,
    LISTWATCH_IMAP_PASSWORD: srv.password,
    LISTWATCH_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    LISTWATCH_ADDRESS: BOT_ADDRESS,
    LISTWATCH_LIST_ADDRESS: LIST_ADDRESS,
    LISTWATCH_LIST_ID: LIST_ID,
    LISTWATCH_ALLOWLIST: 'sigrid@cert.fjordnet.example',
    LISTWATCH_DB: join(cwd, 'state.db'),
    LISTWATCH_KILL_SWITCH_FILE: join(cwd, 'STOP'),
  };
}

async function startImapBot(srv: Server, sink: SmtpSink, cwd: string, outboxOptions: Record<string, number> = {}): Promise<BotRuntime> {
  const loaded = loadConfig({ cwd, env: env(srv, sink, cwd) });
  const rt = await startBot(loaded, {
    cwd,
    log: quietLog(),
    schedule: false,
    flushMs: 100,
    imapOptions: { autoIdleDelay: 100, backoffMinMs: 100, backoffMaxMs: 400, watchdogMs: 1000 },
    outboxOptions: { retryBaseMs: 100, retryMaxMs: 400, recheckMs: 100, ...outboxOptions },
  });
  await waitFor(() => (rt.source as ImapWatcher).connected, 15_000, 'the IMAP connection');
  return rt;
}

/** The In-Reply-To of every message the SMTP sink accepted. */
function answered(sink: SmtpSink): string[] {
  return sink.messages.map((m) => header(m.raw.toString('utf8'), 'In-Reply-To') ?? '?');
}

for (const kit of servers) {
  describe.skipIf(!kit.available)(`the bot over IMAP (${kit.name}) and SMTP`, { timeout: 90_000 }, () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
      cleanup.length = 0;
    });

    async function setup(sinkOpts: Parameters<typeof startSmtpSink>[0] = {}): Promise<{ srv: Server; sink: SmtpSink; cwd: string }> {
      const srv = await kit.start();
      cleanup.push(async () => (srv.destroy ? srv.destroy() : srv.stop()));
      const sink = await startSmtpSink(sinkOpts);
      cleanup.push(() => sink.close());
      const cwd = mkdtempSync(join(tmpdir(), 'listwatch-imap-'));
      return { srv, sink, cwd };
    }

    it('answers a post that arrives while it IDLEs, in the thread, within a second or two', async () => {
      const { srv, sink, cwd } = await setup();
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      const rt = await startImapBot(srv, sink, cwd);
      cleanup.push(() => rt.stop());
      await waitFor(() => rt.store.counts().posts === 1, 15_000, 'the first post');
      await waitFor(() => (rt.source as ImapWatcher).idling, 15_000, 'IDLE');
      srv.deliver(commandPost('ask-idle@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      await waitFor(() => sink.messages.length === 1, 15_000, 'the answer');
      const raw = sink.messages[0]!.raw.toString('utf8');
      expect(sink.messages[0]!.envelope.to).toEqual([LIST_ADDRESS]);
      expect(header(raw, 'In-Reply-To')).toBe('<ask-idle@cert.fjordnet.example>');
      expect(header(raw, 'Subject')).toMatch(/^Re: /);
      expect(rt.store.cursor('INBOX')?.lastUid).toBe(2);
    });

    it('survives the server dying mid-IDLE: posts that arrive while it is down are answered once each', async () => {
      const { srv, sink, cwd } = await setup();
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      const rt = await startImapBot(srv, sink, cwd);
      cleanup.push(() => rt.stop());
      const watcher = rt.source as ImapWatcher;
      srv.deliver(commandPost('ask-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      await waitFor(() => sink.messages.length === 1, 15_000, 'the first answer');
      await sleep(300);

      await srv.stop();
      await waitFor(() => !watcher.connected, 10_000, 'the client to notice');
      srv.deliver(commandPost('ask-2@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
      srv.deliver(commandPost('ask-3@cert.fjordnet.example', SIGRID, ROOT, '#listwatch correlate 100.64/16'));
      await sleep(700); // a few failed reconnects with backoff
      await srv.start();

      await waitFor(() => sink.messages.length >= 3, 20_000, 'the answers to the posts sent while down');
      await sleep(1500); // time for any duplicate to show up
      expect(answered(sink).sort()).toEqual(['<ask-1@cert.fjordnet.example>', '<ask-2@cert.fjordnet.example>', '<ask-3@cert.fjordnet.example>']);
      expect(watcher.connections).toBeGreaterThanOrEqual(2);
      expect(rt.store.cursor('INBOX')?.lastUid).toBe(4);
    });

    it('retries while the SMTP server says 4xx and sends once it accepts; a 5xx is recorded', async () => {
      const { srv, sink, cwd } = await setup({ failFirst: 2, failCode: 451 });
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      const rt = await startImapBot(srv, sink, cwd);
      cleanup.push(() => rt.stop());
      srv.deliver(commandPost('ask-4xx@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      await waitFor(() => sink.messages.length === 1, 20_000, 'the answer after the 4xx replies');
      expect(sink.attempts).toBe(3);
      expect(answered(sink)).toEqual(['<ask-4xx@cert.fjordnet.example>']);

      sink.setResponder(() => ({ code: 550, message: 'no such list' }));
      srv.deliver(commandPost('ask-5xx@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
      await waitFor(() => rt.outbox.failuresSince('2000-01-01T00:00:00Z').length === 1, 15_000, 'the 5xx to be recorded');
      expect(rt.outbox.failuresSince('2000-01-01T00:00:00Z')[0]!.error).toMatch(/550/);
      expect(sink.messages).toHaveLength(1);
    });

    for (const crash of ['before-send', 'after-accept'] as const) {
      it(`crashes ${crash === 'before-send' ? 'between analysis and send' : "between the server's acceptance and the mark"}, restarts, and the post is answered exactly once`, async () => {
        const { srv, sink, cwd } = await setup();
        // the list distributes what the bot sends: it arrives in the mailbox the bot reads
        sink.setResponder((mail) => {
          if (srv.running) srv.deliver(mail.raw);
          return null;
        });
        srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
        const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test', 'helpers', 'bot-child.ts')], {
          cwd: REPO,
          env: { ...process.env, ...env(srv, sink, cwd), BOT_CWD: cwd, BOT_CRASH: crash },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        await waitFor(() => stdout.includes('ready') || child.exitCode !== null, 45_000, 'the child bot');
        srv.deliver(commandPost('ask-crash@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
        const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
        expect(exit, stderr).toBe('SIGKILL');
        expect(sink.messages).toHaveLength(crash === 'before-send' ? 0 : 1);
        // the analysis was committed before the crash
        const peek = new Store(join(cwd, 'state.db'));
        expect(peek.isProcessed('ask-crash@cert.fjordnet.example')).toBe(true);
        peek.close();

        // the grace period counts from the send before the crash. Sent before the crash: the list must
        // show the answer back within it, and a restart on a loaded machine can take seconds before the
        // bot reads the list again, so it is long. Never sent: it is sent once the grace is over.
        const rt = await startImapBot(srv, sink, cwd, { unconfirmedGraceMs: crash === 'after-accept' ? 15_000 : 1500 });
        cleanup.push(() => rt.stop());
        await waitFor(() => sink.messages.length >= 1, 20_000, 'the answer after the restart');
        // once the list has shown the answer back it is marked sent: no second copy can follow
        const states = () => rt.store.db.prepare('SELECT state FROM outbox_messages').pluck().all() as string[];
        await waitFor(() => states().length > 0 && states().every((s) => s === 'sent'), 30_000, 'the answer confirmed by the list');
        expect(answered(sink)).toEqual(['<ask-crash@cert.fjordnet.example>']);
      }, 90_000);
    }

    it('never answers its own message when the list sends it back', async () => {
      const { srv, sink, cwd } = await setup();
      sink.setResponder((mail) => {
        // the list rewrites From (DMARC) and adds its List-Id; the X-Loop token and Message-ID stay
        const raw = mail.raw
          .toString('utf8')
          .replace(/^From: .*$/m, 'From: "listwatch via incidents" <incidents@lists.example>')
          .replace(/^(Subject: .*)$/m, `$1\r\nList-Id: <${LIST_ID}>`);
        srv.deliver(raw);
        return null;
      });
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      const rt = await startImapBot(srv, sink, cwd);
      cleanup.push(() => rt.stop());
      srv.deliver(commandPost('ask-own@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      await waitFor(() => rt.store.cursor('INBOX')?.lastUid === 3, 20_000, 'the bot to read its own reply');
      await sleep(800);
      expect(sink.messages).toHaveLength(1);
      const own = sink.messages[0]!.raw.toString('utf8');
      expect(rt.store.processedOutcome(header(own, 'Message-ID')!.replace(/[<>]/g, ''))).toMatch(/^own/);
    });

    if (kit.name === 'hoodiecrow') {
      it('notices mail that arrived without an IDLE notice (watchdog)', async () => {
        const { srv, sink, cwd } = await setup();
        const hc = srv as TestImapServer;
        srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
        const rt = await startImapBot(srv, sink, cwd);
        cleanup.push(() => rt.stop());
        await waitFor(() => rt.store.counts().posts === 1, 15_000, 'the first post');
        // caught up and in IDLE: only the watchdog can find what comes now
        await waitFor(() => (rt.source as ImapWatcher).idling, 15_000, 'IDLE');
        hc.deliverSilently(commandPost('ask-silent@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
        await waitFor(() => sink.messages.length === 1, 15_000, 'the watchdog to catch up');
        expect(answered(sink)).toEqual(['<ask-silent@cert.fjordnet.example>']);
      });

      it('rescans after a UIDVALIDITY change and answers only what is new', async () => {
        const { srv, sink, cwd } = await setup();
        const hc = srv as TestImapServer;
        srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
        const rt = await startImapBot(srv, sink, cwd);
        cleanup.push(() => rt.stop());
        srv.deliver(commandPost('ask-a@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
        await waitFor(() => sink.messages.length === 1, 15_000, 'the first answer');
        await hc.stop();
        hc.resetUidValidity();
        hc.deliver(commandPost('ask-b@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
        await hc.start();
        await waitFor(() => sink.messages.length === 2, 20_000, 'the answer to the new post');
        await sleep(800);
        expect(answered(sink)).toEqual(['<ask-a@cert.fjordnet.example>', '<ask-b@cert.fjordnet.example>']);
        expect(rt.store.cursor('INBOX')).toEqual({ uidValidity: '1002', lastUid: 3 });
      });
    }

    it('reads the mailbox as history on its first start: old commands are not answered, new ones are', async () => {
      const { srv, sink, cwd } = await setup();
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      srv.deliver(commandPost('ask-old@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      const rt = await startImapBot(srv, sink, cwd);
      cleanup.push(() => rt.stop());
      await waitFor(() => rt.store.counts().posts === 2, 15_000, 'the history');
      srv.deliver(commandPost('ask-new@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      await waitFor(() => sink.messages.length === 1, 15_000, 'the answer to the new post');
      await sleep(500);
      expect(answered(sink)).toEqual(['<ask-new@cert.fjordnet.example>']);
    });

    it('watch --once: connects, handles what is past the cursor, sends, exits; the first run is history', async () => {
      const { srv, sink, cwd } = await setup();
      srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      srv.deliver(commandPost('ask-history@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      const loaded = loadConfig({ cwd, env: env(srv, sink, cwd) });
      const first = await runOnce(loaded, { cwd, log: quietLog() });
      expect(first).toMatchObject({ processed: 2, sent: 0 });
      srv.deliver(commandPost('ask-once@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
      const second = await runOnce(loaded, { cwd, log: quietLog() });
      expect(second).toMatchObject({ processed: 1, sent: 1 });
      expect((await runOnce(loaded, { cwd, log: quietLog() })).processed).toBe(0);
      expect(answered(sink)).toEqual(['<ask-once@cert.fjordnet.example>']);
    });

    it('stops cleanly on request while idling', async () => {
      const { srv, sink, cwd } = await setup();
      srv.deliver(buildPost({ id: 'hello@x.example', from: AROHA, subject: 'hello', body: 'hi' }));
      const rt = await startImapBot(srv, sink, cwd);
      await waitFor(() => rt.store.counts().posts === 1, 15_000, 'the post');
      await rt.stop();
      expect((rt.source as ImapWatcher).connected).toBe(false);
    });
  });
}

/** A self-signed certificate for 127.0.0.1 and localhost, made for this run in a temp dir. */
function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

describe('the bot over imaps:// (TLS from the first byte)', { timeout: 60_000 }, () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    cleanup.length = 0;
  });

  async function setup(): Promise<{ srv: TestImapServer; sink: SmtpSink; cwd: string; tlsEnv: (ca?: string) => Record<string, string> }> {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-imaps-'));
    const { key, cert, certFile } = selfSignedCert(cwd);
    const srv = await startImapServer({ tls: { key, cert } });
    cleanup.push(() => srv.stop());
    const sink = await startSmtpSink();
    cleanup.push(() => sink.close());
    const tlsEnv = (ca = certFile): Record<string, string> => {
      const e = { ...env(srv, sink, cwd), LISTWATCH_IMAP_URL: `imaps://${srv.user}@127.0.0.1:${srv.port}/INBOX` };
      return ca ? { ...e, LISTWATCH_IMAP_CA: ca } : e;
    };
    return { srv, sink, cwd, tlsEnv };
  }

  it('trusts the server certificate named by LISTWATCH_IMAP_CA: reads the list and answers in the thread', async () => {
    const { srv, sink, cwd, tlsEnv } = await setup();
    srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    const rt = await startBot(loadConfig({ cwd, env: tlsEnv() }), {
      cwd,
      log: quietLog(),
      schedule: false,
      flushMs: 100,
      imapOptions: { autoIdleDelay: 100, backoffMinMs: 100, backoffMaxMs: 400 },
    });
    cleanup.push(() => rt.stop());
    await waitFor(() => rt.store.counts().posts === 1, 15_000, 'the first post over TLS');
    srv.deliver(commandPost('ask-tls@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    await waitFor(() => sink.messages.length === 1, 15_000, 'the answer');
    expect(answered(sink)).toEqual(['<ask-tls@cert.fjordnet.example>']);
  });

  it('without the CA the self-signed server is refused (verification stays on)', async () => {
    const { srv, sink, cwd, tlsEnv } = await setup();
    srv.deliver(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    const loaded = loadConfig({ cwd, env: tlsEnv('') });
    await expect(runOnce(loaded, { cwd, log: quietLog() })).rejects.toThrow(/self[- ]signed|certificate/i);
    expect(sink.messages).toHaveLength(0);
    // a CA that did not sign the server's certificate is no better
    const other = mkdtempSync(join(tmpdir(), 'listwatch-imaps-other-'));
    const stranger = selfSignedCert(other).certFile;
    await expect(runOnce(loadConfig({ cwd, env: tlsEnv(stranger) }), { cwd, log: quietLog() })).rejects.toThrow(/self[- ]signed|certificate|signature/i);
  });
});

describe('fetch rounds', () => {
  const m = (uid: number, size: number, tooLarge = false) => ({ uid, size, tooLarge });
  it('cut the listing by count and by bytes; a message too large to fetch costs nothing', () => {
    const uids = (rounds: ReturnType<typeof fetchRounds>) => rounds.map((r) => r.map((x) => x.uid));
    expect(uids(fetchRounds([m(1, 10), m(2, 10), m(3, 10)], 2, 100))).toEqual([[1, 2], [3]]);
    expect(uids(fetchRounds([m(1, 60), m(2, 60), m(3, 30), m(4, 500)], 50, 100))).toEqual([[1], [2, 3], [4]]);
    expect(uids(fetchRounds([m(1, 90), m(2, 10 ** 9, true), m(3, 10)], 50, 100))).toEqual([[1, 2, 3]]);
    expect(fetchRounds([])).toEqual([]);
  });
});
