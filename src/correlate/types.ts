/**
 * What a reporter says in prose about traffic (not a record): "I've seen this as well ...".
 * Found by the deterministic rule pass (correlate/corroboration.ts) and, when on, the LLM pass.
 */
export interface ProseStatement {
  post: string;
  thread: string;
  org: string | null;
  /** the sentence(s), verbatim from the post's own text */
  quote: string;
  /** 'same': the author sees the same traffic; 'not-same': says they do not */
  polarity: 'same' | 'not-same';
  /** what the statement adds, as tags, e.g. 'unused-addresses', 'no-handshake', 'firewalled' */
  details: string[];
  via: 'rule' | 'llm';
}

/** A question a post asks the list ("Any idea what is going on?"). */
export interface Question {
  post: string;
  thread: string;
  text: string;
}
