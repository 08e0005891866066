// An in-process SMTP server on loopback that keeps what it accepts. Reusable by any test that
// sends mail: start it, point smtpTransport(`smtp://127.0.0.1:${port}`) at it, read `messages`.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface SinkMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

/** What to answer at the end of DATA: null/undefined accepts, else the reply code and text. */
export type SinkResponder = (mail: SinkMessage, index: number) => { code: number; message?: string } | null | undefined;

export interface SmtpSink {
  port: number;
  /** the messages accepted, in order */
  messages: SinkMessage[];
  /** every DATA received, accepted or not */
  attempts: number;
  setResponder(fn: SinkResponder | null): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** refuse the first N messages at the end of DATA with failCode */
  failFirst?: number;
  /** the reply code for failFirst (default 451) */
  failCode?: number;
  /** require AUTH PLAIN/LOGIN with these credentials */
  auth?: { user: string; pass: string };
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let responder: SinkResponder | null = null;
  let seen = 0;
  const failFirst = opts.failFirst ?? 0;
  const failCode = opts.failCode ?? 451;

  const server = new SMTPServer({
    secure: false,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      const err = Object.assign(new Error('Invalid username or password'), { responseCode: 535 });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const index = seen++;
        sink.attempts = seen;
        const mail: SinkMessage = {
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
        };
        let reply: { code: number; message?: string } | null | undefined = null;
        if (index < failFirst) reply = { code: failCode, message: failCode >= 500 ? 'Rejected by the sink' : 'Try again later' };
        else if (responder) reply = responder(mail, index);
        if (reply) {
          callback(Object.assign(new Error(reply.message ?? 'Refused by the sink'), { responseCode: reply.code }));
          return;
        }
        messages.push(mail);
        callback(null, 'Queued by the sink');
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  const sink: SmtpSink = {
    port,
    messages,
    attempts: 0,
    setResponder(fn) {
      responder = fn;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sink;
}
