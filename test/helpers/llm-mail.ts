// MailPosts and a log sink for the LLM layer's tests.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Party } from '../../src/contract.js';
import type { BodyBlock, MailPost } from '../../src/mail/types.js';

export function party(name: string | null, address: string | null, org: string | null): Party {
  return { name, address, org };
}

/** A post whose blocks are given; `text` is their lines joined. */
export function mailPost(p: { id: string; from: Party; subject?: string; date?: string; blocks: Array<Partial<BodyBlock> & { lines: string[] }>; tlp?: MailPost['tlp']; listId?: string }): MailPost {
  let line = 1;
  const blocks: BodyBlock[] = p.blocks.map((b) => {
    const block: BodyBlock = { startLine: line, lines: b.lines, kind: b.kind ?? 'own', depth: b.depth ?? 0, author: b.author ?? null };
    line += b.lines.length + 1;
    return block;
  });
  return {
    id: p.id,
    hasMessageId: true,
    inReplyTo: null,
    references: [],
    subject: p.subject ?? 'Code red variants?',
    date: p.date ?? '2001-09-06T10:49:20+01:00',
    offsetMinutes: 60,
    from: p.from,
    text: blocks.map((b) => b.lines.join('\n')).join('\n\n'),
    blocks,
    tlp: p.tlp ?? null,
    headers: { listId: p.listId ?? 'Incidents <incidents.securityfocus.com>', autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] },
    input: 'test',
    warnings: [],
  };
}

const SEED = new URL('../../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url);

/**
 * The seed post (Matthew Collins' reply quoting Russell Fulton), split into blocks by hand the way
 * the mail parser does: his own two lines, Russell's quoted post, the list and company footers.
 */
export function seedMailPost(): MailPost {
  const file = readFileSync(SEED, 'utf8').split('\n');
  const body = file.slice(8); // the text after the archive's header lines
  const at = (prefix: string) => body.findIndex((l) => l.startsWith(prefix));
  const quoteStart = at('Russell Fulton <');
  const footerStart = at('-----');
  const blocks: BodyBlock[] = [
    { startLine: 1, lines: body.slice(0, quoteStart - 1), kind: 'own', depth: 0, author: null },
    {
      startLine: quoteStart + 2,
      lines: body.slice(quoteStart + 1, footerStart).filter((_, i, a) => i < a.length - 1 || a[i] !== ''),
      kind: 'quoted',
      depth: 1,
      author: party('Russell Fulton', 'r.fulton@auckland.ac.nz', 'auckland.ac.nz'),
    },
    { startLine: footerStart + 1, lines: body.slice(footerStart), kind: 'footer', depth: 0, author: null },
  ];
  return {
    id: 'seed-collins-2001-09-06',
    hasMessageId: false,
    inReplyTo: null,
    references: [],
    subject: 'Re: Code red variants?',
    date: '2001-09-06T10:49:20+01:00',
    offsetMinutes: 60,
    from: party('Matthew Collins', 'Matthew.Collins@northernregistrars.co.uk', 'northernregistrars.co.uk'),
    text: body.join('\n'),
    blocks,
    tlp: null,
    headers: { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] },
    input: SEED.pathname,
    warnings: [],
  };
}

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level: number }>;
  messages(): string[];
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  return { log, lines, messages: () => lines.map((l) => String(l.msg ?? '')) };
}
