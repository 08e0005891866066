/** What the bot wants to send; the outbox turns it into one stored MIME message. */
export interface OutgoingMail {
  /** what caused the mail, e.g. `reply:<post-id>:analyze`; the Message-ID is derived from it */
  cause: string;
  kind: 'reply' | 'digest' | 'notice';
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export interface TransportResult {
  /** the server took responsibility for the message */
  accepted: boolean;
  /** only when not accepted: true for a 5xx (do not retry), false/absent for 4xx or no connection */
  permanent?: boolean;
  /** the server's reply line, or why there was none */
  response: string;
  /** added (optional): the Message-ID the server put on the message when it replaced ours */
  serverMessageId?: string;
}

/**
 * Sends one prepared message. Contract with the outbox:
 * - resolve `{accepted: true}` only when the server accepted the message;
 * - resolve `{accepted: false}` only when the message certainly was NOT delivered
 *   (a 4xx/5xx reply, connection refused);
 * - throw when the outcome is unknown (connection lost after the data was sent, a crash):
 *   the outbox then never resends blindly (see Outbox recovery).
 */
export interface MailTransport {
  readonly name: string;
  /**
   * added (optional): sending the same message twice cannot make two copies (the directory
   * transport overwrites the same file), so a message of unknown outcome is simply sent again
   */
  readonly idempotent?: boolean;
  send(msg: { messageId: string; raw: Buffer; from: string; to: string[] }): Promise<TransportResult>;
  close?(): Promise<void>;
}
