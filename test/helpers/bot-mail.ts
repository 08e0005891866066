// Test posts for the bot's tests: real RFC 5322 text with real argus `ra` lines in the body.

export interface TestPost {
  id: string;
  from: string;
  subject: string;
  body: string;
  inReplyTo?: string;
  references?: string[];
  /** null: no List-Id header */
  listId?: string | null;
  date?: string;
  headers?: Record<string, string>;
}

export const LIST_ID = 'incidents.lists.example';
export const LIST_ADDRESS = 'incidents@lists.example';
export const BOT_ADDRESS = 'listwatch@lists.example';

export function buildPost(p: TestPost): string {
  const lines = [
    `From: ${p.from}`,
    `To: ${LIST_ADDRESS}`,
    `Subject: ${p.subject}`,
    `Date: ${p.date ?? 'Wed, 25 Nov 2026 09:10:00 +0000'}`,
    `Message-ID: <${p.id}>`,
  ];
  if (p.inReplyTo) lines.push(`In-Reply-To: <${p.inReplyTo}>`);
  const refs = p.references ?? (p.inReplyTo ? [p.inReplyTo] : []);
  if (refs.length) lines.push(`References: ${refs.map((r) => `<${r}>`).join(' ')}`);
  if (p.listId !== null) lines.push(`List-Id: Incident handlers <${p.listId ?? LIST_ID}>`);
  for (const [k, v] of Object.entries(p.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset="utf-8"', '', ...p.body.split('\n'));
  return `${lines.join('\r\n')}\r\n`;
}

/** argus ra lines: bare ACKs with payload from `net`.x.y to port 80 (midstream, unanswered). */
export function argusMidstream(net: string, dstNet: string, n: number, startHour = 19): string {
  // flush left: an indented block reads as an indented quotation to the quote finder
  const rows = ['StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State'];
  // the hosts differ with the reporter's network, so a second reporter also adds actors
  const salt = dstNet.split('.').reduce((a, b) => a + Number(b), 0) % 50;
  for (let i = 0; i < n; i++) {
    const src = `${net}.${10 + i * 7 + salt}.${20 + i * 3}`;
    const dst = `${dstNet}.${40 + i}`;
    const t = `${String(startHour).padStart(2, '0')}:${String(2 + i * 5).padStart(2, '0')}:34.000000`;
    rows.push(`${t}  e           tcp     ${src}.${3300 + i}      ?>         ${dst}.80            1       1514    A_`);
  }
  return rows.join('\n');
}

export function recordsPost(id: string, from: string, subject: string, net: string, dstNet: string, extra: Partial<TestPost> = {}): string {
  return buildPost({
    id,
    from,
    subject,
    body: `Hi all,\n\nWe see bare ACKs with an HTTP payload and no handshake. argus says:\n\n${argusMidstream(net, dstNet, 4)}\n\nAnyone else seeing this?\n\n-- \nops`,
    ...extra,
  });
}

export function commandPost(id: string, from: string, inReplyTo: string, commandLines: string, extra: Partial<TestPost> = {}): string {
  return buildPost({ id, from, subject: 'Re: Bare ACKs from 100.64/16', inReplyTo, body: `${commandLines}\n\nthanks\n`, ...extra });
}
