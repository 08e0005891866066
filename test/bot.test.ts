import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommands, HELP_TEXT } from '../src/bot/commands.js';
import { parsePrefix } from '../src/bot/answers.js';
import { sameMailbox } from '../src/bot/guards.js';
import { BOT_ADDRESS, buildPost, commandPost, LIST_ADDRESS, recordsPost } from './helpers/bot-mail.js';
import { bodyText, header, makeBot, type Harness } from './helpers/bot-harness.js';

const AROHA = 'Aroha Ngata <aroha@noc.harbour-uni.example>';
const SIGRID = 'Sigrid Holm <sigrid@cert.fjordnet.example>';
const STRANGER = 'Eve <eve@elsewhere.example>';
const ROOT = 'root-1@noc.harbour-uni.example';

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
  delete process.env.LISTWATCH_TEST_STOP;
});

/** a list where Aroha posted records and Sigrid posted once: both are members */
async function listWithMembers(overrides: Parameters<typeof makeBot>[0] = {}): Promise<Harness> {
  h = makeBot({ listId: 'incidents.lists.example', ...overrides });
  await h.handle(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
  await h.handle(buildPost({ id: 'sigrid-0@cert.fjordnet.example', from: SIGRID, subject: 'hello', body: 'Hello list.\n' }));
  expect(h.outgoing()).toHaveLength(overrides.autoReply ? 1 : 0);
  return h;
}

describe('commands are parsed the syzbot way', () => {
  const mail = (text: string) => ({ text, blocks: [{ kind: 'own' as const, lines: text.split('\n'), startLine: 1, depth: 0, author: null }] });

  it('takes lines that start with #listwatch, at most three, tolerating a wrapped argument', () => {
    const { commands } = parseCommands(mail('#listwatch analyze\n#listwatch explain\nobs-1234abcd\n#listwatch correlate "130.67.0.0/16"\n#listwatch help'));
    expect(commands.map((c) => [c.name, c.arg])).toEqual([
      ['analyze', null],
      ['explain', 'obs-1234abcd'],
      ['correlate', '130.67.0.0/16'],
    ]);
  });

  it('ignores indented lines, quoted blocks, unknown words and the help text', () => {
    expect(parseCommands(mail('  #listwatch analyze\n#listwatchers unite\n#listwatch frobnicate')).commands).toEqual([]);
    // words that name properties of every object are not commands either
    const proto = parseCommands(mail('#listwatch toString x\n#listwatch constructor\n#listwatch __proto__ y'));
    expect(proto.commands).toEqual([]);
    expect(proto.problems.map((p) => p.problem)).toEqual(['unknown command "tostring"', 'unknown command "constructor"', 'unknown command "__proto__"']);
    expect(parseCommands(mail('#listwatch frobnicate\n'.repeat(500))).problems).toHaveLength(10);
    expect(parseCommands({ text: '', blocks: [{ kind: 'quoted', lines: ['#listwatch analyze'], startLine: 1, depth: 1, author: null }] }).commands).toEqual([]);
    expect(parseCommands(mail(HELP_TEXT)).commands).toEqual([]);
    // the help text pasted flush left: its placeholder examples still do nothing
    const flush = HELP_TEXT.split('\n').map((l) => l.trimStart()).join('\n');
    expect(parseCommands(mail(flush)).commands.map((c) => c.name)).not.toContain('explain');
    expect(parseCommands(mail(flush)).commands.map((c) => c.name)).not.toContain('correlate');
  });

  it('reads prefixes the way people write them', () => {
    expect(parsePrefix('130.67/16')).toMatchObject({ kind: 'v4', label: '130.67.0.0/16' });
    expect(parsePrefix('130.67.240.225')).toMatchObject({ kind: 'v4', label: '130.67.240.225' });
    expect(parsePrefix('not-an-ip')).toBeNull();
    expect(sameMailbox('listwatch+thread-1@lists.example', BOT_ADDRESS)).toBe(true);
  });
});

describe('the bot answers members in the thread', () => {
  it('answers #listwatch analyze in the thread, to the list, with the command quoted', async () => {
    const b = await listWithMembers();
    const r = await b.handle(commandPost('ask-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    expect(r.outcome).toBe('analyzed');
    const out = b.outgoing();
    expect(out).toHaveLength(1);
    const raw = out[0]!.raw;
    expect(out[0]!.to).toEqual([LIST_ADDRESS]);
    expect(header(raw, 'In-Reply-To')).toBe('<ask-1@cert.fjordnet.example>');
    expect(header(raw, 'References')).toContain(`<${ROOT}>`);
    expect(header(raw, 'References')).toContain('<ask-1@cert.fjordnet.example>');
    expect(header(raw, 'Subject')).toMatch(/^Re: Bare ACKs from 100\.64\/16/);
    expect(header(raw, 'Auto-Submitted')).toBe('auto-replied');
    expect(header(raw, 'X-Loop')).toBeTruthy();
    const body = bodyText(raw);
    expect(body).toContain('> #listwatch analyze');
    expect(body).toContain('100.64.0.0/16');
    // the same post again (a list duplicate, a restart) causes nothing new
    expect((await b.handle(commandPost('ask-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'))).outcome).toBe('duplicate');
    expect(b.outgoing()).toHaveLength(1);
  });

  it('explains an observation and correlates a prefix from the stored history', async () => {
    const b = await listWithMembers();
    const obsId = b.store.observationsOfDay('2026-11-25')[0]!.id;
    await b.handle(commandPost('ask-2@cert.fjordnet.example', SIGRID, ROOT, `#listwatch explain ${obsId}\n#listwatch correlate 100.64/16`));
    const out = b.outgoing();
    expect(out).toHaveLength(1);
    const body = bodyText(out[0]!.raw);
    expect(body).toContain(`Observation ${obsId}`);
    expect(body).toMatch(/class: +midstream/);
    // the reporter's own address only as its /24
    expect(body).toMatch(/target: 192\.0\.2\.0\/24/);
    expect(body).not.toMatch(/192\.0\.2\.4\d\b/);
    expect(body).toMatch(/History for 100\.64\.0\.0\/16: 4 observation/);
    expect(body).toContain('noc.harbour-uni.example');
  });

  it('sends help, subscribe and unsubscribe to the requester only', async () => {
    const b = await listWithMembers();
    await b.handle(commandPost('ask-3@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help\n#listwatch subscribe'));
    const out = b.outgoing();
    expect(out).toHaveLength(1);
    expect(out[0]!.to).toEqual(['sigrid@cert.fjordnet.example']);
    expect(bodyText(out[0]!.raw)).toContain('#listwatch correlate <prefix>');
    expect(b.store.subscribers()).toEqual(['sigrid@cert.fjordnet.example']);
  });

  it('replies to the requester instead of the list when configured', async () => {
    const b = await listWithMembers({ replyTo: 'requester' });
    await b.handle(commandPost('ask-4@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    expect(b.outgoing().map((o) => o.to)).toEqual([['sigrid@cert.fjordnet.example']]);
  });
});

describe('who may ask', () => {
  it("ignores a non-member's command but answers an allowlisted sender", async () => {
    const b = await listWithMembers({ allowlist: ['boss@hq.example'] });
    const r = await b.handle(commandPost('eve-1@elsewhere.example', STRANGER, ROOT, '#listwatch analyze'));
    expect(r.outcome).toBe('analyzed');
    expect(b.outgoing()).toHaveLength(0);
    // having posted once, Eve is a member now
    await b.handle(commandPost('eve-2@elsewhere.example', STRANGER, ROOT, '#listwatch analyze'));
    expect(b.outgoing()).toHaveLength(1);
    await b.handle(commandPost('boss-1@hq.example', 'Boss <boss@hq.example>', ROOT, '#listwatch analyze'));
    expect(b.outgoing()).toHaveLength(2);
  });

  it('does nothing for a quoted command or the help text', async () => {
    const b = await listWithMembers();
    await b.handle(commandPost('q-1@cert.fjordnet.example', SIGRID, ROOT, 'Aroha wrote:\n> #listwatch analyze\n\nI agree.'));
    await b.handle(commandPost('q-2@cert.fjordnet.example', SIGRID, ROOT, HELP_TEXT));
    await b.handle(commandPost('q-3@cert.fjordnet.example', SIGRID, ROOT, '#listwatch explain <observation-id>'));
    expect(b.outgoing()).toHaveLength(0);
  });
});

describe('never a loop', () => {
  const guarded: Array<[string, Record<string, string>, string?]> = [
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }],
    ['Auto-Submitted: auto-generated', { 'Auto-Submitted': 'auto-generated' }],
    ['a null Return-Path', { 'Return-Path': '<>' }],
    ['Precedence: bulk', { Precedence: 'bulk' }],
    ['Precedence: junk', { Precedence: 'junk' }],
    ["another robot's marker", { 'X-Autoreply': 'yes' }],
    ['Precedence: auto_reply', { Precedence: 'auto_reply' }],
    ['a bounce from MAILER-DAEMON', {}, 'Mail Delivery System <MAILER-DAEMON@mx.fjordnet.example>'],
    ['a no-reply robot', {}, 'Ticket system <no-reply@tickets.fjordnet.example>'],
    ["the bot's own address", {}, 'listwatch <listwatch@lists.example>'],
    ["the bot's own address with +context", {}, 'listwatch <listwatch+t1@lists.example>'],
  ];
  for (const [what, headers, from] of guarded) {
    it(`does not answer ${what}`, async () => {
      const b = await listWithMembers({ autoReply: true });
      if (from) b.store.addMember(from.replace(/^.*<|>$/g, ''), 'earlier');
      const before = b.outgoing().length;
      const r = await b.handle(commandPost(`g-${what.length}@x.example`, from ?? SIGRID, ROOT, `#listwatch analyze\n\n${recordsPost('x', AROHA, 's', '100.65', '192.0.2').split('\r\n\r\n')[1]}`, { headers }));
      expect(r.outcome).toBe(from?.includes('listwatch') ? 'own' : 'analyzed');
      expect(b.outgoing()).toHaveLength(before);
    });
  }

  it("takes mail whose Reply-To or X-Loop names the bot for its own, whoever signs it", async () => {
    const b = await listWithMembers();
    const own: Array<Record<string, string>> = [{ 'Reply-To': 'listwatch+t2@lists.example' }, { 'X-Loop': 'Listwatch@Lists.Example' }];
    for (const [i, headers] of own.entries()) {
      const r = await b.handle(commandPost(`own-${i}@x.example`, SIGRID, ROOT, '#listwatch analyze', { headers }));
      expect(r.outcome, JSON.stringify(headers)).toBe('own');
    }
    expect(b.outgoing()).toHaveLength(0);
  });

  it('does not answer Auto-Submitted: no less than a human', async () => {
    const b = await listWithMembers();
    await b.handle(commandPost('g-no@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze', { headers: { 'Auto-Submitted': 'no' } }));
    expect(b.outgoing()).toHaveLength(1);
  });

  it('ignores mail without the configured List-Id, and mail of another list', async () => {
    const b = await listWithMembers();
    const r1 = await b.handle(commandPost('l-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze', { listId: null }));
    const r2 = await b.handle(commandPost('l-2@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze', { listId: 'other.lists.example' }));
    expect([r1.outcome, r2.outcome]).toEqual(['foreign', 'foreign']);
    expect(b.outgoing()).toHaveLength(0);
    expect(b.store.hasPost('l-1@cert.fjordnet.example')).toBe(false);
  });

  it('recognises its own reply coming back from the list by the X-Loop token and marks it delivered', async () => {
    const b = await listWithMembers();
    await b.handle(commandPost('own-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    const [reply] = b.outgoing();
    // the list distributes it with its own headers; From rewritten (DMARC) so only X-Loop/Message-ID tell
    const fromList = reply!.raw.replace(/^From: .*$/m, 'From: "listwatch via incidents" <incidents@lists.example>').replace(/^(Subject: .*)$/m, '$1\r\nList-Id: <incidents.lists.example>');
    const r = await b.handle(fromList);
    expect(r.outcome).toBe('own');
    expect(b.outgoing()).toHaveLength(1);
    // an imitation with a made-up token is not ours (and not answered either: it has no command)
    const fake = fromList.replace(/^X-Loop: .*$/m, 'X-Loop: lw1-00000000000000000000000000000000').replace(/^Message-ID: .*$/m, 'Message-ID: <fake-1@elsewhere.example>');
    expect((await b.handle(fake)).outcome).toBe('analyzed');
  });

  it('keeps to the per-sender rate limit and the per-thread reply budget', async () => {
    const b = await listWithMembers({ rateLimits: { perSenderPerHour: 2, globalPerHour: 60, perRecipientPerHour: 20, threadReplyBudget: 2 } });
    await b.handle(commandPost('r-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
    await b.handle(commandPost('r-2@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
    await b.handle(commandPost('r-3@cert.fjordnet.example', SIGRID, ROOT, '#listwatch help'));
    expect(b.outgoing()).toHaveLength(2);
    // an hour later Sigrid may ask again; the thread takes two answers, then no more
    b.clock.now = new Date('2026-11-25T11:30:00Z');
    await b.handle(commandPost('r-4@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    await b.handle(commandPost('a-1@noc.harbour-uni.example', AROHA, ROOT, '#listwatch analyze'));
    await b.handle(commandPost('a-2@noc.harbour-uni.example', AROHA, ROOT, '#listwatch analyze'));
    expect(b.outgoing().filter((o) => o.to.includes(LIST_ADDRESS))).toHaveLength(2);
  });

  it('stops everything with the kill switch file or environment variable', async () => {
    const b = await listWithMembers({ autoReply: true });
    writeFileSync(join(b.dir, 'STOP'), '');
    await b.handle(commandPost('k-1@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    await b.handle(recordsPost('k-2@cert.fjordnet.example', SIGRID, 'More bare ACKs', '100.66', '198.51.100'));
    expect(b.outgoing()).toHaveLength(1); // only the auto-reply from before the switch
    expect((await b.outbox.flush()).sent).toBe(0);
    expect(b.bot.runDigest().queued).toEqual([]);
    const b2 = await listWithMembers();
    process.env.LISTWATCH_TEST_STOP = '1';
    await b2.handle(commandPost('k-3@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    expect(b2.outgoing()).toHaveLength(0);
    b.close();
  });
});

describe('autoReply', () => {
  it('answers once per thread, only when the post adds a finding or a reporter', async () => {
    h = makeBot({ autoReply: true });
    const b = h;
    await b.handle(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    expect(b.outgoing()).toHaveLength(1);
    expect(b.outgoing()[0]!.cause).toBe(`auto:${ROOT}`);
    // a second reporter in the same thread adds a reporter, but the thread was answered already
    await b.handle(recordsPost('re-1@cert.fjordnet.example', SIGRID, 'Re: Bare ACKs from 100.64/16', '100.64', '198.51.100', { inReplyTo: ROOT }));
    expect(b.outgoing()).toHaveLength(1);
    // a post in a new thread that repeats what is known adds nothing: no answer
    await b.handle(recordsPost('again-1@noc.harbour-uni.example', AROHA, 'still the bare ACKs', '100.64', '192.0.2'));
    expect(b.outgoing()).toHaveLength(1);
    // a post without records never gets an unasked answer
    await b.handle(buildPost({ id: 'prose-1@x.example', from: SIGRID, subject: 'coffee', body: 'Anyone for coffee?' }));
    expect(b.outgoing()).toHaveLength(1);
  });

  it('keeps to the thread reply budget: answers to commands spend it, and then no unasked answer comes', async () => {
    h = makeBot({ autoReply: true, allowlist: ['sigrid@cert.fjordnet.example'], rateLimits: { threadReplyBudget: 1 } });
    const b = h;
    await b.handle(buildPost({ id: ROOT, from: AROHA, subject: 'odd traffic', body: 'Anyone else seeing odd traffic?\n' }));
    await b.handle(commandPost('ask-budget@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    expect(b.outgoing()).toHaveLength(1);
    // records that add a finding, in the same thread: the budget of one reply is spent
    const r = await b.handle(recordsPost('re-budget@noc.harbour-uni.example', AROHA, 'Re: odd traffic', '100.64', '192.0.2', { inReplyTo: ROOT }));
    expect(r.findingChanges).toBeGreaterThan(0);
    expect(b.outgoing()).toHaveLength(1);
  });
});
