import type { Party } from '../contract.js';

/** A contiguous run of body lines that share one voice. */
export interface BodyBlock {
  /** 1-based line number of the block's first line in the post's text body */
  startLine: number;
  /** the lines with quote markers (`> `, indentation of an indented mirror) removed */
  lines: string[];
  /** own: the author's text; quoted: someone else's; signature/footer: not evidence */
  kind: 'own' | 'quoted' | 'signature' | 'footer';
  /** nesting depth of the quotation (0 for own text) */
  depth: number;
  /** who wrote the quoted text, from the attribution line; null when unknown */
  author: Party | null;
}

export type Tlp = 'RED' | 'AMBER' | 'GREEN' | 'CLEAR' | 'WHITE';

/** A parsed post: what the rest of the pipeline needs from a message. */
export interface MailPost {
  /** Message-ID without angle brackets, or a stable hash of the text */
  id: string;
  /** true when id came from a Message-ID header */
  hasMessageId: boolean;
  inReplyTo: string | null;
  /** References, oldest first, without angle brackets */
  references: string[];
  subject: string | null;
  /** ISO 8601 with the sender's offset; null when absent/unparseable */
  date: string | null;
  /** the sender's offset in minutes east of UTC (0 when unknown) */
  offsetMinutes: number;
  from: Party;
  /** the text body (text/plain, or text converted from HTML), after size caps */
  text: string;
  blocks: BodyBlock[];
  tlp: Tlp | null;
  /** headers the bot needs for loop safety and routing, lower-cased names */
  headers: {
    listId: string | null;
    autoSubmitted: string | null;
    precedence: string | null;
    xLoop: string[];
    returnPath: string | null;
    replyTo: string | null;
    /** other bots' markers, e.g. X-Autoreply, X-Autorespond */
    autoReplyMarkers: string[];
    /** the post's archive URL from Archived-At (RFC 5064), http(s) only */
    archivedAt?: string;
  };
  /** where it came from: a path, path#n for mbox, imap uid, '-' */
  input: string;
  /** problems found while parsing that did not stop it (size caps, charset) */
  warnings: string[];
}
