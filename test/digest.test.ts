import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import Database from 'better-sqlite3';
import pino from 'pino';
import { renderDigest, digestMail, type DigestInput } from '../src/report/digest.js';
import { actorRole } from '../src/report/reasoning.js';
import { prefix24 } from '../src/report/digest-mask.js';
import { escapeHtml } from '../src/report/digest-html.js';
import type { Finding, Observation, Post } from '../src/contract.js';
import { Outbox } from '../src/deliver/outbox.js';
import { smtpTransport } from '../src/deliver/smtp-transport.js';
import { startSmtpSink } from './helpers/smtp-sink.js';

// Modeled on the seed post: Russell Fulton (auckland.ac.nz) sees bare ACK + payload to port 80
// from 130.67/16 on firewalled and unused addresses; Matthew Collins (northernregistrars.co.uk)
// says he sees the same.
const RUSSELL: Post = {
  id: '3B96A3A2.1234@auckland.ac.nz',
  thread: '3B96A3A2.1234@auckland.ac.nz',
  subject: 'Code red variants?',
  date: '2001-09-06T00:14:18+12:00',
  from: { name: 'Russell Fulton', address: 'r.fulton@auckland.ac.nz', org: 'auckland.ac.nz' },
  observations: ['o-snort-1', 'o-argus-1', 'o-argus-2'],
};
const MATTHEW: Post & { archivedAt: string } = {
  id: 'BD3C2F.5678@northernregistrars.co.uk',
  thread: '3B96A3A2.1234@auckland.ac.nz',
  subject: 'Re: Code red variants?',
  date: '2001-09-06T10:49:20+01:00',
  from: { name: 'Matthew Collins', address: 'Matthew.Collins@northernregistrars.co.uk', org: 'northernregistrars.co.uk' },
  observations: ['o-ncr-1'],
  archivedAt: 'https://seclists.org/incidents/2001/Sep/55',
};
const AMBER: Post = {
  id: 'amber-1@secret.example',
  thread: 'amber-1@secret.example',
  subject: 'TLP:AMBER our sensor sees this too',
  date: '2001-09-06T12:00:00+00:00',
  from: { name: 'Secret Person', address: 'sp@secret.example', org: 'secret.example' },
  observations: ['o-amber-1'],
};

function obs(partial: Partial<Observation> & Pick<Observation, 'id' | 'post' | 'src' | 'dst'>): Observation {
  return {
    reporter: { name: 'Russell Fulton', address: 'r.fulton@auckland.ac.nz', org: 'auckland.ac.nz' },
    quoted: false,
    source: 'argus',
    format: 'argus-ra',
    line: 30,
    time: '2001-09-06T07:10:23+12:00',
    proto: 'tcp',
    sport: 1450,
    dport: 80,
    dir: '?>',
    srcPkts: 1,
    dstPkts: 0,
    srcBytes: 1460,
    dstBytes: 0,
    srcFlags: 'A',
    dstFlags: null,
    state: 'A_',
    class: 'midstream-unanswered',
    actor: partial.src,
    target: partial.dst,
    family: 'code-red',
    evidence: `ACK with 1460 bytes from ${partial.src} to ${partial.dst}.80, nothing back, no SYN`,
    ...partial,
  };
}

const OBSERVATIONS: Observation[] = [
  obs({ id: 'o-snort-1', post: RUSSELL.id, src: '130.67.240.225', dst: '130.216.223.150', source: 'snort', format: 'snort-full', class: 'midstream-unanswered', payload: { bytes: 1460, strings: ['GetSystemTime', 'seen at 130.216.223.150'] } }),
  obs({ id: 'o-argus-1', post: RUSSELL.id, src: '130.67.216.237', dst: '130.216.246.91', time: '2001-09-06T00:02:34+12:00' }),
  obs({ id: 'o-argus-2', post: RUSSELL.id, src: '130.67.118.172', dst: '130.216.149.34', time: '2001-09-06T01:28:38+12:00', class: 'midstream-reset', dstFlags: 'R', state: 'A_R' }),
  obs({
    id: 'o-ncr-1',
    post: MATTHEW.id,
    src: '130.67.9.9',
    dst: '193.0.7.45',
    time: '2001-09-06T10:40:00+01:00',
    reporter: { name: 'Matthew Collins', address: 'Matthew.Collins@northernregistrars.co.uk', org: 'northernregistrars.co.uk' },
  }),
  obs({
    id: 'o-amber-1',
    post: AMBER.id,
    src: '130.67.1.1',
    dst: '198.51.100.77',
    reporter: { name: 'Secret Person', address: 'sp@secret.example', org: 'secret.example' },
    evidence: 'SECRET-SENSOR-NAME saw 198.51.100.77 hit',
  }),
];

const FINDING: Finding = {
  id: 'f-midstream-130.67',
  kind: 'cross-reporter',
  behaviour: 'midstream',
  family: 'code-red',
  actorPrefix: '130.67.0.0/16',
  dport: 80,
  reporters: ['auckland.ac.nz', 'northernregistrars.co.uk', 'secret.example'],
  corroborating: [
    {
      org: 'northernregistrars.co.uk',
      post: MATTHEW.id,
      quote: "I've seen this as well. I noticed it because the alert was occuring on IP addresses in our range that are not currently in use.",
      via: 'rule',
    },
    { org: 'secret.example', post: AMBER.id, quote: 'our SECRET-SENSOR-NAME agrees', via: 'rule' },
  ],
  observations: ['o-snort-1', 'o-argus-1', 'o-argus-2', 'o-ncr-1', 'o-amber-1'],
  first: '2001-09-06T00:02:34+12:00',
  last: '2001-09-06T12:00:00+00:00',
  summary: 'Three organisations see bare ACKs to port 80 from 130.67.0.0/16; secret.example at 198.51.100.77 too.',
};

const SYN_FINDING: Finding = {
  id: 'f-syn-10.1.2',
  kind: 'campaign',
  behaviour: 'syn',
  actorPrefix: '10.1.2.0/24',
  dport: 1433,
  reporters: ['auckland.ac.nz'],
  corroborating: [],
  observations: ['o-argus-1'],
  first: null,
  last: null,
  summary: 'A <script>alert(1)</script> & "quoted" scan of port 1433.',
};

function input(over: Partial<DigestInput> = {}): DigestInput {
  return {
    day: '2001-09-06',
    timeZone: 'Pacific/Auckland',
    findings: [{ finding: FINDING, status: 'new', firstDay: '2001-09-06' }],
    observations: OBSERVATIONS,
    posts: [RUSSELL, MATTHEW, AMBER],
    openQuestions: [{ post: RUSSELL.id, thread: RUSSELL.thread, text: 'Any idea what is going on?' }],
    deliveryFailures: [],
    excludedPosts: [AMBER.id],
    showTargets: false,
    ...over,
  };
}

describe('renderDigest', () => {
  it('says nothing when there is nothing to say', () => {
    expect(renderDigest(input({ findings: [], openQuestions: [], deliveryFailures: [] }))).toBeNull();
    // records alone, without a finding, a question or a failure, are not worth a mail
    expect(renderDigest(input({ findings: [], openQuestions: [] }))).toBeNull();
    // a finding made only of restricted posts is nothing to say either
    const onlyAmber: Finding = { ...FINDING, observations: ['o-amber-1'], corroborating: [] };
    expect(renderDigest(input({ findings: [{ finding: onlyAmber, status: 'new', firstDay: '2001-09-06' }], openQuestions: [] }))).toBeNull();
  });

  it('a new cross-reporter finding: common-victim wording, orgs, port, family, first/last and its posts', () => {
    const d = renderDigest(input())!;
    expect(d.subject).toBe('listwatch digest 2001-09-06: 1 new finding; 1 open question');
    const t = d.text;
    expect(t).toContain('== New findings: 1 ==');
    expect(t).toContain('[1] cross-reporter, ACK or PSH-ACK segments without a handshake, port 80, code-red');
    expect(t).toContain('common victim: 130.67.0.0/16');
    expect(t).toMatch(/likely spoofed.*do not file abuse reports/);
    expect(t).not.toMatch(/attacker: 130\.67/);
    expect(t).toContain('2 independent organisations: auckland.ac.nz, northernregistrars.co.uk; in prose: northernregistrars.co.uk');
    expect(t).toContain('not currently in use');
    // first/last recomputed without the restricted post, shown in the digest's zone
    expect(t).toContain('first 2001-09-06 00:02, last 2001-09-06 21:40');
    // linked to its posts: subject, author org, date, Message-ID, archive URL
    expect(t).toContain('- "Code red variants?" \u2014 auckland.ac.nz, 2001-09-06 00:14');
    expect(t).toContain('<3B96A3A2.1234@auckland.ac.nz>');
    expect(t).toContain('- "Re: Code red variants?" \u2014 northernregistrars.co.uk, 2001-09-06 21:49');
    expect(t).toContain('https://seclists.org/incidents/2001/Sep/55');
    // counts by class and family, top prefixes, open question
    expect(t).toContain('== Today\u2019s records: 4 ==');
    expect(t).toContain('by class: midstream-unanswered 3, midstream-reset 1');
    expect(t).toContain('by family: code-red 4');
    expect(t).toContain('130.67.0.0/16 (common victim): 2 (auckland.ac.nz, northernregistrars.co.uk)');
    expect(t).toContain('== Questions still unanswered ==');
    expect(t).toContain('\u201cAny idea what is going on?\u201d');
  });

  it('TLP:AMBER/RED posts and their observations never appear, in text, HTML or JSON', () => {
    const d = renderDigest(input())!;
    const json = JSON.stringify(d.document);
    for (const out of [d.text, d.html, json]) {
      expect(out).not.toContain('secret.example');
      expect(out).not.toContain('SECRET-SENSOR-NAME');
      expect(out).not.toContain('amber-1');
      expect(out).not.toContain('198.51.100');
      expect(out).not.toContain('130.67.1.1');
    }
    expect(d.document.posts.map((p) => p.id)).toEqual([RUSSELL.id, MATTHEW.id]);
    expect(d.document.observations.map((o) => o.id)).toEqual(['o-snort-1', 'o-argus-1', 'o-argus-2', 'o-ncr-1']);
    const f = d.document.findings[0]!;
    expect(f.reporters).toEqual(['auckland.ac.nz', 'northernregistrars.co.uk']);
    expect(f.corroborating.map((c) => c.org)).toEqual(['northernregistrars.co.uk']);
    expect(f.observations).not.toContain('o-amber-1');
  });

  it('reporters\u2019 own addresses appear only as their /24 unless showTargets', () => {
    const d = renderDigest(input())!;
    const json = JSON.stringify(d.document);
    for (const out of [d.text, d.html, json]) {
      expect(out).not.toContain('130.216.223.150');
      expect(out).not.toContain('130.216.246.91');
      expect(out).not.toContain('193.0.7.45');
    }
    const snort = d.document.observations.find((o) => o.id === 'o-snort-1')!;
    expect(snort.dst).toBe('130.216.223.0/24');
    expect(snort.target).toBe('130.216.223.0/24');
    expect(snort.src).toBe('130.67.240.225'); // the actor is what the finding is about
    expect(snort.evidence).toBe('ACK with 1460 bytes from 130.67.240.225 to 130.216.223.0/24.80, nothing back, no SYN');
    expect(snort.payload!.strings).toEqual(['GetSystemTime', 'seen at 130.216.223.0/24']);

    const shown = renderDigest(input({ showTargets: true }))!;
    expect(JSON.stringify(shown.document)).toContain('130.216.223.150');
    expect(shown.document.observations.find((o) => o.id === 'o-snort-1')).toMatchObject({ dst: '130.216.223.150', target: '130.216.223.150' });
  });

  it('growing and recurring findings are listed under their own headings; attackers are not called victims', () => {
    const d = renderDigest(
      input({
        findings: [
          { finding: FINDING, status: 'growing', firstDay: '2001-09-05' },
          { finding: SYN_FINDING, status: 'recurring', firstDay: '2001-09-01' },
        ],
        openQuestions: [],
      }),
    )!;
    expect(d.subject).toBe('listwatch digest 2001-09-06: 1 growing, 1 recurring findings');
    expect(d.text).toContain('== Growing findings (new reporters or actors): 1 ==');
    expect(d.text).toContain('== Recurring findings (seen on earlier days, again today): 1 ==');
    expect(d.text).toContain('; known since 2001-09-05');
    expect(d.text).toContain('    known since 2001-09-01\n');
    expect(d.text).toContain('attacker: 10.1.2.0/24');
    expect(d.text).not.toContain('common victim: 10.1.2.0/24');
    expect(actorRole({ ...FINDING, behaviour: 'backscatter' })).toBe('common-victim');
    expect(actorRole(SYN_FINDING)).toBe('attacker');
    const backscatter = renderDigest(input({ findings: [{ finding: { ...SYN_FINDING, behaviour: 'backscatter', dport: null }, status: 'new', firstDay: '2001-09-06' }] }))!;
    expect(backscatter.text).toContain('common victim: 10.1.2.0/24');
    expect(backscatter.text).toMatch(/forged the reporters' addresses/);
  });

  it('HTML escapes everything that came from posts', () => {
    const evil: Post = { ...RUSSELL, subject: '<img src=x onerror=alert(1)> "hi" & bye', from: { ...RUSSELL.from, org: 'a<b>.org' } };
    const d = renderDigest(
      input({
        posts: [evil, MATTHEW],
        findings: [{ finding: SYN_FINDING, status: 'new', firstDay: '2001-09-06' }],
        openQuestions: [{ post: RUSSELL.id, thread: RUSSELL.thread, text: '</q><script>x()</script>' }],
        llmFooter: 'Summaries by a <b>local</b> model.',
      }),
    )!;
    expect(d.html).not.toMatch(/<script|<img|<b>local/i);
    expect(d.html).toContain(escapeHtml('<img src=x onerror=alert(1)> "hi" & bye'));
    expect(d.html).toContain('A &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; scan of port 1433.');
    expect(d.html).toContain('&lt;/q&gt;&lt;script&gt;x()&lt;/script&gt;');
    expect(d.html).toContain('a&lt;b&gt;.org');
    expect(d.text).toContain('Summaries by a <b>local</b> model.');
    // the archive link is an attribute value, escaped; no javascript: URLs get through
    const js: Post & { archivedAt: string } = { ...MATTHEW, archivedAt: 'javascript:alert(1)' };
    const d2 = renderDigest(input({ posts: [RUSSELL, js] }))!;
    expect(d2.html).not.toContain('javascript:');
    expect(d2.html).toContain('<a href="mid:3B96A3A2.1234%40auckland.ac.nz">');
  });

  it('delivery failures are reported; one naming a restricted post does not give it away', () => {
    const d = renderDigest(
      input({
        findings: [],
        openQuestions: [],
        deliveryFailures: [
          { cause: 'cmd:3B96A3A2.1234@auckland.ac.nz:analyze', error: '550 5.1.1 mailbox unavailable', at: '2001-09-06T03:00:00.000Z' },
          { cause: `cmd:${AMBER.id}:analyze`, error: '550 no', at: '2001-09-06T04:00:00.000Z' },
        ],
      }),
    )!;
    expect(d.subject).toBe('listwatch digest 2001-09-06: 2 delivery failures');
    expect(d.text).toContain('== Mail the bot could not deliver ==');
    expect(d.text).toContain('2001-09-06T03:00:00.000Z cmd:3B96A3A2.1234@auckland.ac.nz:analyze: 550 5.1.1 mailbox unavailable');
    expect(d.text).not.toContain(AMBER.id);
    expect(d.text).toContain('cmd:(a TLP-restricted post):analyze');
  });

  it('narratives and the LLM footer are shown, with targets masked', () => {
    const d = renderDigest(
      input({
        findings: [{ finding: SYN_FINDING, status: 'new', firstDay: '2001-09-06' }],
        narratives: { 'f-syn-10.1.2': 'The scan hit 130.216.246.91 and others.', [`thread:${RUSSELL.thread}`]: 'Nobody has answered yet.' },
        llmFooter: 'Narratives written by a local model; check them against the records.',
      }),
    )!;
    expect(d.text).toContain('The scan hit 130.216.246.0/24 and others.');
    expect(d.text).toContain('Nobody has answered yet.');
    expect(d.text.trimEnd().endsWith('Narratives written by a local model; check them against the records.')).toBe(true);
  });

  it('the document is a valid listwatch.analysis/1 document', () => {
    const d = renderDigest(input())!;
    expect(d.document.schema).toBe('listwatch.analysis/1');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync('docs/analysis.schema.json', 'utf8')));
    const ok = validate(JSON.parse(JSON.stringify(d.document)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // every id a finding or post names is in the document
    const ids = new Set(d.document.observations.map((o) => o.id));
    for (const f of d.document.findings) for (const id of f.observations) expect(ids.has(id)).toBe(true);
    for (const p of d.document.posts) for (const id of p.observations) expect(ids.has(id)).toBe(true);
  });

  it('masks addresses without touching longer ones', () => {
    expect(prefix24('130.216.223.150')).toBe('130.216.223.0/24');
    expect(prefix24('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(prefix24('not-an-address')).toBe('(address withheld)');
    const one: Observation = obs({ id: 'x', post: RUSSELL.id, src: '10.0.0.5', dst: '10.9.9.1', evidence: 'to 10.9.9.1, 10.9.9.12, 110.9.9.1, 10.9.9.1.80 and 10.9.9.1:80.' });
    const d = renderDigest(input({ observations: [one], findings: [{ finding: { ...SYN_FINDING, observations: ['x'] }, status: 'new', firstDay: '2001-09-06' }] }))!;
    expect(d.document.observations[0]!.evidence).toBe('to 10.9.9.0/24, 10.9.9.12, 110.9.9.1, 10.9.9.0/24.80 and 10.9.9.0/24:80.');
  });
});

describe('digestMail', () => {
  it('goes out through the outbox as text + HTML with the JSON attached, once per day and recipient', async () => {
    const sink = await startSmtpSink();
    const db = new Database(':memory:');
    try {
      const box = new Outbox(db, smtpTransport(`smtp://127.0.0.1:${sink.port}`, undefined), {
        botAddress: 'listwatch@bot.example.org',
        xLoopSecret: 'digest-test-secret',
        log: pino({ level: 'silent' }),
        now: () => new Date('2001-09-06T19:00:00Z'),
      });
      const d = renderDigest(input())!;
      const mail = digestMail(d, { day: '2001-09-06', to: ['incidents@lists.example.net'] });
      expect(mail.cause).toBe('digest:2001-09-06:incidents@lists.example.net');
      expect(box.enqueue(mail).queued).toBe(true);
      expect(box.enqueue(digestMail(d, { day: '2001-09-06', to: ['Incidents@lists.example.net'] })).queued).toBe(false);
      expect((await box.flush()).sent).toBe(1);
      const parsed = await simpleParser(sink.messages[0]!.raw);
      expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
      expect(parsed.headers.get('precedence')).toBe('bulk');
      expect(parsed.subject).toBe(d.subject);
      expect(parsed.text).toContain('common victim: 130.67.0.0/16');
      expect(parsed.html).toContain('common victim: 130.67.0.0/16');
      expect(parsed.attachments).toHaveLength(1);
      expect(parsed.attachments[0]!.filename).toBe('listwatch-2001-09-06.json');
      const doc = JSON.parse(parsed.attachments[0]!.content.toString('utf8'));
      expect(doc).toEqual(JSON.parse(JSON.stringify(d.document)));
    } finally {
      db.close();
      await sink.close();
    }
  });
});

describe('restricted posts filtered by the caller already', () => {
  it('a reporter known only from a restricted post is dropped even when its records were removed before the call', () => {
    const pre: Finding = { ...FINDING, observations: ['o-snort-1', 'o-argus-1', 'o-ncr-1'], corroborating: [FINDING.corroborating[0]!] };
    const d = renderDigest(
      input({
        findings: [{ finding: pre, status: 'new', firstDay: '2001-09-06' }],
        observations: OBSERVATIONS.filter((o) => o.post !== AMBER.id),
        posts: [RUSSELL, MATTHEW],
      }),
    )!;
    for (const out of [d.text, d.html, JSON.stringify(d.document)]) {
      expect(out).not.toContain('secret.example');
      expect(out).not.toContain('198.51.100');
    }
    expect(d.document.findings[0]!.reporters).toEqual(['auckland.ac.nz', 'northernregistrars.co.uk']);
  });

  it('records of earlier days (not in the input) keep their reporters and ids', () => {
    const older: Finding = { ...SYN_FINDING, reporters: ['auckland.ac.nz', 'waikato.ac.nz'], observations: ['o-argus-1', 'o-earlier-day'] };
    const d = renderDigest(input({ findings: [{ finding: older, status: 'growing', firstDay: '2001-09-01' }] }))!;
    expect(d.document.findings[0]!.reporters).toEqual(['auckland.ac.nz', 'waikato.ac.nz']);
    expect(d.document.findings[0]!.observations).toEqual(['o-argus-1', 'o-earlier-day']);
    expect(d.document.findings[0]!.summary).toBe(SYN_FINDING.summary);
  });
});
