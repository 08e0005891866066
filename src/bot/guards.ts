import type { MailPost } from '../mail/types.js';

/** `local+context@domain` and `local@domain` are the same mailbox (case-insensitive). */
export function sameMailbox(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const norm = (s: string): string => {
    const t = s.trim().replace(/^<|>$/g, '').toLowerCase();
    const at = t.lastIndexOf('@');
    if (at < 0) return t;
    const local = t.slice(0, at).split('+')[0];
    return `${local}@${t.slice(at + 1)}`;
  };
  return norm(a) === norm(b);
}

/** `Incident handlers <incidents.lists.example>` → `incidents.lists.example` */
export function listIdValue(header: string | null): string | null {
  if (!header) return null;
  const m = /<([^<>\s]{1,255})>/.exec(header);
  return (m ? m[1]! : header.trim()).toLowerCase() || null;
}

export interface GuardContext {
  botAddress: string;
  /** the configured List-Id (without brackets), or null */
  listId: string | null;
  /** the outbox recognises the mail as ours (X-Loop token or Message-ID) */
  ownByOutbox: boolean;
}

export type GuardVerdict =
  /** our own mail coming back from the list: not analysed, not answered */
  | { kind: 'own'; reason: string }
  /** not list mail: not analysed, not answered */
  | { kind: 'foreign'; reason: string }
  /** list mail from a robot or bulk sender: analysed, never answered */
  | { kind: 'automated'; reason: string }
  | { kind: 'ok' };

const BULK_PRECEDENCE = new Set(['bulk', 'junk', 'auto_reply']);
/** Senders that are robots by name (bounces, no-reply notifiers). */
const ROBOT_LOCAL_PARTS = /^(mailer-daemon|no-?reply|do-?not-?reply|bounces?)([+-].*)?$/i;

/**
 * RFC 3834 and list etiquette: never answer ourselves, automata, bulk mail, null senders or
 * mail that did not come through the configured list.
 */
export function checkGuards(mail: MailPost, ctx: GuardContext): GuardVerdict {
  if (ctx.ownByOutbox) return { kind: 'own', reason: 'our own message (X-Loop token or Message-ID)' };
  if (sameMailbox(mail.from.address, ctx.botAddress)) return { kind: 'own', reason: `from the bot's own address ${ctx.botAddress}` };
  if (mail.headers.replyTo && sameMailbox(mail.headers.replyTo, ctx.botAddress)) {
    return { kind: 'own', reason: "Reply-To is the bot's own address" };
  }
  if (ctx.listId) {
    const got = listIdValue(mail.headers.listId);
    if (got !== ctx.listId.toLowerCase()) {
      return { kind: 'foreign', reason: got ? `List-Id ${got} is not ${ctx.listId}` : `no List-Id (expected ${ctx.listId})` };
    }
  }
  const auto = mail.headers.autoSubmitted?.trim().toLowerCase();
  if (auto && auto.split(';')[0]!.trim() !== 'no') return { kind: 'automated', reason: `Auto-Submitted: ${auto.slice(0, 60)}` };
  const rp = mail.headers.returnPath?.trim();
  if (rp !== undefined && rp !== null && (rp === '<>' || rp === '')) return { kind: 'automated', reason: 'null Return-Path <>' };
  const prec = mail.headers.precedence?.trim().toLowerCase();
  if (prec && BULK_PRECEDENCE.has(prec)) return { kind: 'automated', reason: `Precedence: ${prec}` };
  if (mail.headers.autoReplyMarkers.length > 0) {
    return { kind: 'automated', reason: `robot marker ${mail.headers.autoReplyMarkers[0]!.slice(0, 60)}` };
  }
  if (mail.headers.xLoop.length > 0 && mail.headers.xLoop.some((v) => sameMailbox(v, ctx.botAddress))) {
    return { kind: 'own', reason: 'X-Loop names the bot' };
  }
  if (!mail.from.address) return { kind: 'automated', reason: 'no sender address' };
  const local = mail.from.address.slice(0, mail.from.address.lastIndexOf('@'));
  if (ROBOT_LOCAL_PARTS.test(local)) return { kind: 'automated', reason: `robot sender ${mail.from.address}` };
  return { kind: 'ok' };
}
