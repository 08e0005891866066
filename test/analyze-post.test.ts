import { describe, expect, it } from 'vitest';
import { analyzePost } from '../src/analyze/post.js';
import { parseMail } from '../src/mail/parse.js';
import { expectValidAnalysis } from './helpers/schema.js';

function message(extraHeaders: string, body: string): Buffer {
  return Buffer.from(
    `From: Sigrid Holm <sigrid@cert.fjordnet.example>\nTo: incidents@lists.example\nSubject: bare ACKs\n` +
      `Date: Tue, 24 Nov 2026 23:41:00 +0100\nMessage-ID: <p1@cert.fjordnet.example>\n${extraHeaders}\n${body}`,
  );
}

const RA = '   09:14:02.000000    tcp        100.64.33.9.2100      ?>     198.51.100.200.80            2        0         2868            0   PA_\n';

describe('analyzePost', () => {
  it('carries the Archived-At URL into the post, and only an http(s) one', async () => {
    const linked = analyzePost(await parseMail(message('Archived-At: <https://lists.example/archive/p1.html>\n', RA), 'a.eml'), 'p1@cert.fjordnet.example');
    expect(linked.post.archivedAt).toBe('https://lists.example/archive/p1.html');
    const bogus = analyzePost(await parseMail(message('Archived-At: <javascript:alert(1)>\n', RA), 'b.eml'), 'p1@cert.fjordnet.example');
    expect(bogus.post.archivedAt).toBeUndefined();
    expectValidAnalysis({ schema: 'listwatch.analysis/1', posts: [linked.post], observations: linked.observations, findings: [], errors: [] });
  });

  it("times a zoneless record in the poster's zone and attributes it to the poster", async () => {
    const pa = analyzePost(await parseMail(message('', `We see these on unused addresses:\n\n${RA}`), 'c.eml'), 'p1@cert.fjordnet.example');
    expect(pa.observations).toHaveLength(1);
    const o = pa.observations[0]!;
    expect(o).toMatchObject({ line: 3, quoted: false, time: '2026-11-24T09:14:02.000000+01:00', class: 'midstream-unanswered', actor: '100.64.33.9' });
    expect(o.reporter.org).toBe('fjordnet.example');
    expect(pa.post.observations).toEqual([o.id]);
  });

  it('keeps one observation per id when blocks repeat the same lines out of order, and all of them in order', async () => {
    const mail = await parseMail(message('', `Seen here:\n${RA}${RA.replace('09:14:02', '09:14:03')}`), 'd.eml');
    const inOrder = analyzePost(mail, 'p1@cert.fjordnet.example');
    expect(inOrder.observations.map((o) => o.line)).toEqual([2, 3]);
    // the same block twice and an earlier one after it (no MailPost from segmentBody looks like this)
    const own = mail.blocks.find((b) => b.kind === 'own' && b.lines.some((l) => l.includes('09:14:03')))!;
    const again = analyzePost({ ...mail, blocks: [own, own, { ...own, startLine: own.startLine - 1 }] }, 'p1@cert.fjordnet.example');
    const ids = again.observations.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 2)).toEqual(inOrder.observations.map((o) => o.id));
    expect(again.observations.map((o) => o.line)).toEqual([2, 3, 1, 2]);
  });
});
