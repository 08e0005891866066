import type { OutgoingMail } from './types.js';
import { cleanMessageId } from './mime.js';
import { normalizeReplySubject } from './subject.js';

export { normalizeReplySubject } from './subject.js';

const MAX_REFERENCES = 20;
const MAX_QUOTED = 3;
export const REPLY_SIGNATURE = '-- \nlistwatch, an automated analysis bot on this list.';

/** References of a reply: the parent's chain plus the parent, the root and the newest kept. */
export function replyReferences(parentReferences: string[], parentId: string): string[] {
  const ids: string[] = [];
  for (const r of [...parentReferences, parentId]) {
    const id = cleanMessageId(r);
    if (id && !ids.includes(id)) ids.push(id);
  }
  if (ids.length <= MAX_REFERENCES) return ids;
  return [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

function quoteLine(line: string): string {
  return '> ' + line.replace(/[\r\n\t]+/g, ' ').trim().slice(0, 200);
}

/**
 * An answer in the thread: `Re:` subject (exactly one), In-Reply-To and References to the post,
 * the command(s) that asked for it quoted on top, then the body.
 */
export function composeReply(
  to: { messageId: string; subject: string | null; references: string[]; from: string },
  body: string,
  opts: { cause: string; recipients: string[]; quotedCommands?: string[] },
): OutgoingMail {
  const parent = cleanMessageId(to.messageId);
  const parts: string[] = [];
  const quoted = (opts.quotedCommands ?? []).filter((c) => c.trim().length > 0).slice(0, MAX_QUOTED);
  if (quoted.length > 0) {
    const who = String(to.from ?? '').replace(/[\r\n\t]+/g, ' ').trim().slice(0, 200);
    parts.push(`${who || 'You'} wrote:`, ...quoted.map(quoteLine), '');
  }
  parts.push(body.trimEnd(), '', REPLY_SIGNATURE); // trimEnd: /\s+$/ is quadratic on long inner runs of spaces
  return {
    cause: opts.cause,
    kind: 'reply',
    to: opts.recipients,
    subject: normalizeReplySubject(to.subject),
    text: parts.join('\n') + '\n',
    ...(parent ? { inReplyTo: parent, references: replyReferences(to.references, parent) } : {}),
  };
}
