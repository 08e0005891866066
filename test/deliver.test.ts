import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pino from 'pino';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { Outbox, migrateOutbox, smtpTransport, directoryTransport, xLoopToken } from '../src/deliver/outbox.js';
import type { OutboxOptions } from '../src/deliver/outbox.js';
import { composeReply } from '../src/deliver/compose.js';
import type { MailTransport } from '../src/deliver/types.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

const BOT = 'listwatch@bot.example.org';
const LIST = 'incidents@lists.example.net';
const SECRET = 'test-secret-0123456789';

let dir: string;
let dbPath: string;
let sinks: SmtpSink[] = [];
let clock: Date;
let logLines: Array<Record<string, unknown>>;

function logger() {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logLines.push(JSON.parse(line));
      cb();
    },
  });
  return pino({ level: 'debug' }, stream);
}

function openDb() {
  return new Database(dbPath);
}

function outbox(db: Database.Database, transport: MailTransport, extra: Partial<OutboxOptions> = {}) {
  return new Outbox(db, transport, { botAddress: BOT, botName: 'listwatch', xLoopSecret: SECRET, log: logger(), now: () => clock, ...extra });
}

async function sink(opts?: Parameters<typeof startSmtpSink>[0]) {
  const s = await startSmtpSink(opts);
  sinks.push(s);
  return s;
}

function smtpTo(s: SmtpSink, password?: string, user = '') {
  return smtpTransport(`smtp://${user ? `${user}@` : ''}127.0.0.1:${s.port}`, password);
}

function advance(ms: number) {
  clock = new Date(clock.getTime() + ms);
}

const post = {
  messageId: '<3B97E1F2.1020@auckland.ac.nz>',
  subject: 'RE: Re[2]: [incidents] Code Red variants?',
  references: ['root@example.com'],
  from: 'Russell Fulton <r.fulton@auckland.ac.nz>',
};

function reply(cause = 'reply:3B97E1F2.1020@auckland.ac.nz:analyze') {
  return composeReply(post, 'Two organisations saw bare ACKs to port 80 from 203.0.0.0/16.', {
    cause,
    recipients: [LIST],
    quotedCommands: ['#listwatch analyze'],
  });
}

function messageIdOf(raw: Buffer): string | null {
  const m = /^Message-ID: <([^>\r\n]+)>/im.exec(raw.toString('latin1'));
  return m ? m[1]! : null;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-deliver-'));
  dbPath = join(dir, 'state.db');
  clock = new Date('2001-09-06T12:00:00.000Z');
  logLines = [];
});

afterEach(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  sinks = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('outgoing message', () => {
  it('a reply carries From, Message-ID, Date, Auto-Submitted, Precedence, X-Loop, threading and one Re:', async () => {
    const s = await sink();
    const db = openDb();
    const box = outbox(db, smtpTo(s));
    const { messageId, queued } = box.enqueue(reply());
    expect(queued).toBe(true);
    expect(messageId).toMatch(/^lw\.[0-9a-f]{32}@bot\.example\.org$/);
    const r = await box.flush();
    expect(r).toEqual({ sent: 1, retrying: 0, failed: 0, held: 0 });
    expect(s.messages).toHaveLength(1);
    const got = s.messages[0]!;
    expect(got.envelope).toEqual({ from: BOT, to: [LIST] });
    const parsed = await simpleParser(got.raw);
    expect(parsed.from?.value[0]).toEqual({ address: BOT, name: 'listwatch' });
    expect(parsed.messageId).toBe(`<${messageId}>`);
    expect(parsed.date?.toISOString()).toBe(clock.toISOString());
    expect(parsed.subject).toBe('Re: [incidents] Code Red variants?');
    expect(parsed.inReplyTo).toBe('<3B97E1F2.1020@auckland.ac.nz>');
    expect(parsed.references).toEqual(['<root@example.com>', '<3B97E1F2.1020@auckland.ac.nz>']);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('precedence')).toBe('list');
    const xLoop = parsed.headers.get('x-loop') as string;
    expect(xLoop).toBe(xLoopToken(SECRET, messageId));
    expect(parsed.text).toContain('> #listwatch analyze');
    expect(parsed.text).toContain('bare ACKs to port 80');
    // what the server got is exactly what was stored at enqueue time
    expect(got.raw.equals(box.rawOf(messageId)!)).toBe(true);
    expect(box.isOwnMessage({ messageId: `<${messageId}>`, xLoop: [xLoop] })).toBe(true);
    db.close();
  });

  it('digest and notice are auto-generated with Precedence bulk; multipart text+HTML with the JSON attached', async () => {
    const s = await sink();
    const db = openDb();
    const box = outbox(db, smtpTo(s));
    box.enqueue({
      cause: 'digest:2001-09-06:list',
      kind: 'digest',
      to: [LIST],
      subject: 'listwatch digest 2001-09-06: 1 new finding',
      text: 'text body ümlaut\n.\nline after a lone dot',
      html: '<p>&lt;b&gt; escaped</p>',
      attachments: [{ filename: 'listwatch-2001-09-06.json', content: '{"schema":"listwatch.analysis/1"}', contentType: 'application/json' }],
    });
    box.enqueue({ cause: 'notice:subscribe:a@b.example', kind: 'notice', to: ['a@b.example'], subject: 'subscribed', text: 'ok' });
    await box.flush();
    expect(s.messages).toHaveLength(2);
    const digest = await simpleParser(s.messages[0]!.raw);
    expect(digest.headers.get('auto-submitted')).toBe('auto-generated');
    expect(digest.headers.get('precedence')).toBe('bulk');
    expect(digest.subject).toBe('listwatch digest 2001-09-06: 1 new finding');
    expect(digest.text).toBe('text body ümlaut\n.\nline after a lone dot');
    expect(digest.html).toContain('&lt;b&gt; escaped');
    expect(digest.attachments).toHaveLength(1);
    expect(digest.attachments[0]!.filename).toBe('listwatch-2001-09-06.json');
    expect(digest.attachments[0]!.contentType).toBe('application/json');
    expect(JSON.parse(digest.attachments[0]!.content.toString())).toEqual({ schema: 'listwatch.analysis/1' });
    const notice = await simpleParser(s.messages[1]!.raw);
    expect(notice.headers.get('auto-submitted')).toBe('auto-generated');
    db.close();
  });

  it('the same cause twice is queued once, with the same Message-ID, also after a restart', async () => {
    const s = await sink();
    const db = openDb();
    const a = outbox(db, smtpTo(s)).enqueue(reply());
    const b = outbox(db, smtpTo(s)).enqueue(reply());
    expect(a.queued).toBe(true);
    expect(b).toEqual({ messageId: a.messageId, queued: false });
    const other = outbox(db, smtpTo(s)).enqueue(reply('reply:other'));
    expect(other.messageId).not.toBe(a.messageId);
    await outbox(db, smtpTo(s)).flush();
    expect(s.messages).toHaveLength(2);
    db.close();
  });

  it('header injection through subject or recipients does not work', async () => {
    const s = await sink();
    const db = openDb();
    const box = outbox(db, smtpTo(s));
    box.enqueue({
      cause: 'notice:inject',
      kind: 'notice',
      to: ['victim@example.org\r\nBcc: evil@example.org', 'ok@example.org'],
      subject: 'hello\r\nBcc: evil@example.org',
      text: 'x',
    });
    await box.flush();
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.envelope.to).toEqual(['ok@example.org']);
    const parsed = await simpleParser(s.messages[0]!.raw);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.subject).toBe('hello Bcc: evil@example.org');
    db.close();
  });
});

describe('retries and failures', () => {
  it('4xx then accept: retried with backoff on the injected clock, one copy, byte-identical', async () => {
    const s = await sink({ failFirst: 1, failCode: 451 });
    const db = openDb();
    const box = outbox(db, smtpTo(s), { retryBaseMs: 30_000 });
    const { messageId } = box.enqueue(reply());
    expect(await box.flush()).toEqual({ sent: 0, retrying: 1, failed: 0, held: 0 });
    const st = box.stateOf(messageId)!;
    expect(st.state).toBe('queued');
    expect(st.attempts).toBe(1);
    expect(st.nextAttemptAt).toBe('2001-09-06T12:00:30.000Z');
    expect(st.lastResponse).toContain('451');
    // not due yet
    expect((await box.flush()).sent).toBe(0);
    expect(s.attempts).toBe(1);
    advance(30_000);
    expect(await box.flush()).toEqual({ sent: 1, retrying: 0, failed: 0, held: 0 });
    expect(s.messages).toHaveLength(1);
    expect(s.attempts).toBe(2);
    expect(s.messages[0]!.raw.equals(box.rawOf(messageId)!)).toBe(true);
    expect(logLines.some((l) => l.msg === 'temporary failure: will retry')).toBe(true);
    db.close();
  });

  it('connection refused: retried with a doubling delay, then sent when the server is back', async () => {
    const s = await sink();
    const port = s.port;
    await s.close();
    sinks = [];
    const db = openDb();
    const box = outbox(db, smtpTransport(`smtp://127.0.0.1:${port}`, undefined), { retryBaseMs: 10_000 });
    const { messageId } = box.enqueue(reply());
    expect((await box.flush()).retrying).toBe(1);
    expect(box.stateOf(messageId)!.lastResponse).toMatch(/no connection/);
    expect(box.stateOf(messageId)!.nextAttemptAt).toBe('2001-09-06T12:00:10.000Z');
    advance(10_000);
    await box.flush();
    expect(box.stateOf(messageId)!.attempts).toBe(2);
    expect(box.stateOf(messageId)!.nextAttemptAt).toBe('2001-09-06T12:00:30.000Z');
    // the server comes back on another port: a new transport on the same outbox state
    const back = await sink();
    advance(20_000);
    const r = await outbox(db, smtpTo(back)).flush();
    expect(r.sent).toBe(1);
    expect(back.messages).toHaveLength(1);
    db.close();
  });

  it('5xx: failed with the server reply, logged, and listed by failuresSince', async () => {
    const s = await sink({ failFirst: 5, failCode: 550 });
    const db = openDb();
    const box = outbox(db, smtpTo(s));
    const { messageId } = box.enqueue(reply());
    expect(await box.flush()).toEqual({ sent: 0, retrying: 0, failed: 1, held: 0 });
    expect(box.stateOf(messageId)!.state).toBe('failed');
    advance(3_600_000);
    expect((await box.flush()).sent).toBe(0);
    expect(s.attempts).toBe(1);
    const failures = box.failuresSince('2001-09-06T00:00:00Z');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.cause).toBe('reply:3B97E1F2.1020@auckland.ac.nz:analyze');
    expect(failures[0]!.error).toMatch(/550/);
    expect(failures[0]!.at).toBe('2001-09-06T12:00:00.000Z');
    expect(box.failuresSince('2001-09-07T00:00:00Z')).toEqual([]);
    const logged = logLines.find((l) => l.level === 50 && String(l.msg).includes('refused permanently'));
    expect(logged).toBeDefined();
    db.close();
  });

  it('gives up after maxAttempts temporary failures', async () => {
    const s = await sink({ failFirst: 100, failCode: 421 });
    const db = openDb();
    const box = outbox(db, smtpTo(s), { maxAttempts: 3, retryBaseMs: 1000 });
    const { messageId } = box.enqueue(reply());
    for (let i = 0; i < 3; i++) {
      await box.flush();
      advance(10_000);
    }
    expect(box.stateOf(messageId)!.state).toBe('failed');
    expect(box.failuresSince('2001-01-01T00:00:00Z')[0]!.error).toMatch(/gave up after 3 attempts/);
    db.close();
  });

  it('AUTH: the right password is accepted; a wrong one is retried, not failed', async () => {
    const s = await sink({ auth: { user: 'bot', pass: 's3cret' } });
    const db = openDb();
    const good = outbox(db, smtpTo(s, 's3cret', 'bot'));
    good.enqueue(reply('reply:a'));
    expect((await good.flush()).sent).toBe(1);
    const bad = outbox(db, smtpTo(s, 'wrong', 'bot'));
    const { messageId } = bad.enqueue(reply('reply:b'));
    expect((await bad.flush()).retrying).toBe(1);
    expect(box_state(bad, messageId)).toMatch(/authentication failed.*535/);
    expect(s.messages).toHaveLength(1);
    db.close();
  });
});

function box_state(box: Outbox, id: string): string {
  return box.stateOf(id)!.lastResponse ?? '';
}

describe('a crash between the server accepting and the mark', () => {
  it('process dies mid-send: the restarted outbox asks deliveredCheck and sends nothing again', async () => {
    const s = await sink();
    const real = smtpTo(s);
    let accepted!: () => void;
    const acceptedP = new Promise<void>((r) => (accepted = r));
    const dying: MailTransport = {
      name: 'dies after acceptance',
      async send(m) {
        await real.send(m);
        accepted();
        return new Promise(() => undefined); // the process is gone: nothing after this runs
      },
    };
    const db1 = openDb();
    const first = outbox(db1, dying);
    const { messageId } = first.enqueue(reply());
    void first.flush();
    await acceptedP;
    expect(s.messages).toHaveLength(1);

    const db2 = openDb();
    const checks: string[] = [];
    const restarted = outbox(db2, smtpTo(s), {
      deliveredCheck: async (id) => {
        checks.push(id);
        return s.messages.some((m) => messageIdOf(m.raw) === id);
      },
    });
    expect(logLines.some((l) => String(l.msg).includes('were being sent when the bot stopped'))).toBe(true);
    const r = await restarted.flush();
    expect(r.sent).toBe(1);
    expect(checks).toEqual([messageId]);
    expect(restarted.stateOf(messageId)!.state).toBe('sent');
    advance(24 * 3_600_000);
    await restarted.flush();
    expect(s.messages).toHaveLength(1);
    db1.close();
    db2.close();
  });

  it("the 'sending' mark is committed with synchronous=FULL before the server is asked (a power cut cannot roll it back to queued)", async () => {
    const s = await sink();
    const real = smtpTo(s);
    const statements: string[] = [];
    const db = new Database(dbPath, { verbose: (sql) => statements.push(String(sql)) });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // as the bot's store opens it
    let atSend: { level: unknown; state: string | undefined; statements: number } | null = null;
    const watching: MailTransport = {
      name: 'watching',
      async send(m) {
        atSend = { level: db.pragma('synchronous', { simple: true }), state: o.stateOf(m.messageId)?.state, statements: statements.length };
        return real.send(m);
      },
    };
    const o = outbox(db, watching);
    o.enqueue(reply());
    statements.length = 0;
    expect((await o.flush()).sent).toBe(1);
    const before = statements.slice(0, atSend!.statements);
    const mark = before.findIndex((q) => q.includes("SET state = 'sending'"));
    expect(mark).toBeGreaterThan(0);
    expect(before[mark - 1]).toMatch(/^PRAGMA synchronous = FULL$/);
    expect(before[mark + 1]).toMatch(/^PRAGMA synchronous = 1$/);
    expect(atSend!.state).toBe('sending');
    expect(atSend!.level).toBe(1); // the connection is back to NORMAL for everything else
    db.close();
  });

  it('transport throws after acceptance, no deliveredCheck: held; markSeen settles it; one copy', async () => {
    const s = await sink();
    const real = smtpTo(s);
    const throwing: MailTransport = {
      name: 'throws after acceptance',
      async send(m) {
        await real.send(m);
        throw new Error('connection lost after DATA');
      },
    };
    const db1 = openDb();
    const first = outbox(db1, throwing);
    const { messageId } = first.enqueue(reply());
    expect(await first.flush()).toEqual({ sent: 0, retrying: 0, failed: 0, held: 1 });
    expect(first.stateOf(messageId)).toMatchObject({ state: 'held', heldReason: 'unconfirmed' });

    const db2 = openDb();
    const restarted = outbox(db2, smtpTo(s), { unconfirmedGraceMs: 3_600_000 });
    advance(30 * 60_000);
    expect((await restarted.flush()).held).toBe(1);
    expect(s.messages).toHaveLength(1);
    restarted.markSeen(`<${messageId}>`);
    expect(restarted.stateOf(messageId)!.state).toBe('sent');
    advance(2 * 3_600_000);
    await restarted.flush();
    expect(s.messages).toHaveLength(1);
    db1.close();
    db2.close();
  });

  it('unconfirmed: deliveredCheck is asked again and settles it before the grace period ends', async () => {
    const s = await sink();
    const real = smtpTo(s);
    const db = openDb();
    let listHasIt = false;
    const box = outbox(
      db,
      {
        name: 'throws after acceptance',
        async send(m) {
          await real.send(m);
          throw new Error('socket hang up');
        },
      },
      { deliveredCheck: async () => listHasIt, recheckMs: 60_000, unconfirmedGraceMs: 3_600_000 },
    );
    const { messageId } = box.enqueue(reply());
    await box.flush();
    advance(60_000);
    expect((await box.flush()).held).toBe(1);
    listHasIt = true;
    advance(60_000);
    expect((await box.flush()).sent).toBe(1);
    expect(box.stateOf(messageId)!.state).toBe('sent');
    expect(s.messages).toHaveLength(1);
    db.close();
  });

  it('unconfirmed past the grace period with no confirmation: sent once more (the documented trade-off)', async () => {
    const s = await sink();
    const db = openDb();
    db.exec('SELECT 1');
    const first = outbox(db, {
      name: 'refuses to answer',
      async send() {
        throw new Error('timeout after DATA');
      },
    }, { unconfirmedGraceMs: 3_600_000 });
    const { messageId } = first.enqueue(reply());
    await first.flush();
    const again = outbox(db, smtpTo(s), { unconfirmedGraceMs: 3_600_000, deliveredCheck: async () => false });
    advance(59 * 60_000);
    expect((await again.flush()).sent).toBe(0);
    expect(s.messages).toHaveLength(0);
    advance(60_000);
    expect((await again.flush()).sent).toBe(1);
    expect(s.messages).toHaveLength(1);
    expect(again.stateOf(messageId)!.state).toBe('sent');
    db.close();
  });
  it('a deliveredCheck that hangs or throws counts as unknown; nothing is resent', async () => {
    const s = await sink();
    const db = openDb();
    const real = smtpTo(s);
    const first = outbox(db, {
      name: 'throws after acceptance',
      async send(m) {
        await real.send(m);
        throw new Error('reset');
      },
    });
    const { messageId } = first.enqueue(reply());
    await first.flush();
    const hanging = outbox(db, smtpTo(s), { deliveredCheck: () => new Promise(() => undefined), deliveredCheckTimeoutMs: 50, recheckMs: 0 });
    expect((await hanging.flush()).held).toBe(1);
    const throwing = outbox(db, smtpTo(s), { deliveredCheck: async () => { throw new Error('IMAP down'); }, recheckMs: 0 });
    expect((await throwing.flush()).held).toBe(1);
    expect(throwing.stateOf(messageId)!.heldReason).toBe('unconfirmed');
    expect(s.messages).toHaveLength(1);
    expect(logLines.filter((l) => l.msg === 'delivery check failed; treated as unknown')).toHaveLength(2);
    db.close();
  });
});

describe('kill switch and rate limits', () => {
  it('a kill-switch file holds everything; lifting it sends the held rows', async () => {
    const s = await sink();
    const db = openDb();
    const stop = join(dir, 'STOP');
    const box = outbox(db, smtpTo(s), { killSwitchFile: stop });
    writeFileSync(stop, '');
    box.enqueue(reply('reply:1'));
    box.enqueue(reply('reply:2'));
    expect(await box.flush()).toEqual({ sent: 0, retrying: 0, failed: 0, held: 2 });
    expect(s.attempts).toBe(0);
    expect(logLines.some((l) => l.msg === 'kill switch on: nothing sent')).toBe(true);
    unlinkSync(stop);
    expect(await box.flush()).toEqual({ sent: 2, retrying: 0, failed: 0, held: 0 });
    expect(s.messages).toHaveLength(2);
    db.close();
  });

  it('a kill-switch environment variable holds everything; 0 or empty does not', async () => {
    const s = await sink();
    const db = openDb();
    const name = 'LISTWATCH_TEST_STOP';
    const box = outbox(db, smtpTo(s), { killSwitchEnv: name });
    try {
      process.env[name] = '1';
      box.enqueue(reply('reply:1'));
      expect((await box.flush()).held).toBe(1);
      process.env[name] = '0';
      expect((await box.flush()).sent).toBe(1);
    } finally {
      delete process.env[name];
    }
    expect(s.messages).toHaveLength(1);
    db.close();
  });

  it('per-recipient limit per hour: the rest is held and goes out when the hour has passed', async () => {
    const s = await sink();
    const db = openDb();
    const box = outbox(db, smtpTo(s), { perRecipientPerHour: 2, globalPerHour: 100 });
    for (let i = 0; i < 3; i++) box.enqueue(reply(`reply:${i}`));
    box.enqueue({ cause: 'notice:other', kind: 'notice', to: ['someone@else.example'], subject: 's', text: 't' });
    expect(await box.flush()).toEqual({ sent: 3, retrying: 0, failed: 0, held: 1 });
    expect(s.messages.map((m) => m.envelope.to[0])).toEqual([LIST, LIST, 'someone@else.example']);
    advance(30 * 60_000);
    expect((await box.flush()).sent).toBe(0);
    advance(31 * 60_000);
    expect(await box.flush()).toEqual({ sent: 1, retrying: 0, failed: 0, held: 0 });
    expect(logLines.some((l) => l.msg === 'rate limit reached: held')).toBe(true);
    db.close();
  });

  it('global limit per hour', async () => {
    const s = await sink();
    const db = openDb();
    const box = outbox(db, smtpTo(s), { perRecipientPerHour: 100, globalPerHour: 2 });
    for (let i = 0; i < 3; i++) box.enqueue({ cause: `notice:${i}`, kind: 'notice', to: [`u${i}@example.org`], subject: 's', text: 't' });
    expect(await box.flush()).toMatchObject({ sent: 2, held: 1 });
    advance(61 * 60_000);
    expect(await box.flush()).toMatchObject({ sent: 1, held: 0 });
    expect(s.messages).toHaveLength(3);
    db.close();
  });
});

describe('own messages', () => {
  it('isOwnMessage checks the HMAC token against the Message-ID and knows its own rows', () => {
    const db = openDb();
    const box = outbox(db, directoryTransport(join(dir, 'out')));
    const { messageId } = box.enqueue(reply());
    expect(box.isOwnMessage({ messageId, xLoop: [] })).toBe(true);
    // a message of someone else carrying a token copied from ours does not pass
    expect(box.isOwnMessage({ messageId: 'other@example.org', xLoop: [xLoopToken(SECRET, messageId)] })).toBe(false);
    expect(box.isOwnMessage({ messageId: 'other@example.org', xLoop: [xLoopToken('another-secret-xyz', 'other@example.org')] })).toBe(false);
    // a token made with our secret for that id is ours (e.g. the row is gone from a fresh database)
    const fresh = new Database(':memory:');
    const other = outbox(fresh, directoryTransport(join(dir, 'out')));
    expect(other.isOwnMessage({ messageId: `<${messageId}>`, xLoop: [' ' + xLoopToken(SECRET, messageId) + ' '] })).toBe(true);
    expect(other.isOwnMessage({ messageId: null, xLoop: [xLoopToken(SECRET, messageId)] })).toBe(false);
    fresh.close();
    db.close();
  });
});

describe('directory transport (the embedded default)', () => {
  it('writes <messageId>.eml atomically; an interrupted send is repeated into the same file', async () => {
    const out = join(dir, 'outbox');
    const db = openDb();
    const box = outbox(db, directoryTransport(out));
    const { messageId } = box.enqueue(reply());
    expect((await box.flush()).sent).toBe(1);
    expect(readdirSync(out)).toEqual([`${messageId}.eml`]);
    expect(readFileSync(join(out, `${messageId}.eml`)).equals(box.rawOf(messageId)!)).toBe(true);
    // simulate a crash mid-send
    db.prepare(`UPDATE outbox_messages SET state = 'sending' WHERE message_id = ?`).run(messageId);
    const restarted = outbox(openDb(), directoryTransport(out));
    expect((await restarted.flush()).sent).toBe(1);
    expect(readdirSync(out)).toEqual([`${messageId}.eml`]);
    db.close();
  });
});

describe('setup', () => {
  it('migrateOutbox is idempotent', () => {
    const db = new Database(':memory:');
    migrateOutbox(db);
    migrateOutbox(db);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'outbox_%' ORDER BY name`).all()).toEqual([
      { name: 'outbox_messages' },
      { name: 'outbox_sends' },
    ]);
    db.close();
  });

  it('smtpTransport checks its URL', () => {
    expect(smtpTransport('smtp://bot@mail.example.org:587', 'pw').name).toContain('STARTTLS required');
    expect(smtpTransport('smtp://bot@mail.example.org:587', 'pw', { allowInsecure: true }).name).not.toContain('STARTTLS required');
    expect(smtpTransport('smtp://127.0.0.1:2525', undefined).name).not.toContain('STARTTLS required');
    expect(smtpTransport('smtps://bot@mail.example.org', 'pw').name).toBe('smtp smtps://mail.example.org:465');
    expect(() => smtpTransport('http://mail.example.org', 'pw')).toThrow(/smtps:\/\//);
    expect(() => smtpTransport('smtps://bot@mail.example.org', undefined)).toThrow(/no password/);
    expect(() => smtpTransport('not a url', undefined)).toThrow(/not a URL/);
  });

  it('STARTTLS is required off loopback: a server without it never gets the message in clear', async () => {
    // an IPv4-mapped IPv6 address reaches the loopback sink but is not on the loopback list,
    // so the transport must insist on STARTTLS, which the sink does not offer
    const s = await sink();
    const t = smtpTransport(`smtp://[::ffff:127.0.0.1]:${s.port}`, undefined);
    expect(t.name).toContain('STARTTLS required');
    const r = await t.send({ messageId: 'x@y', raw: Buffer.from('Subject: x\r\n\r\nx\r\n'), from: BOT, to: [LIST] });
    expect(r.accepted).toBe(false);
    expect(r.permanent).toBe(false);
    expect(r.response).toMatch(/^no connection: 500/);
    expect(s.attempts).toBe(0);
    const plain = smtpTransport(`smtp://[::ffff:127.0.0.1]:${s.port}`, undefined, { allowInsecure: true });
    expect((await plain.send({ messageId: 'x@y', raw: Buffer.from('Subject: x\r\n\r\nx\r\n'), from: BOT, to: [LIST] })).accepted).toBe(true);
  });
});
