// SMTP submission with nodemailer's SMTPConnection, one connection per message. Using the
// connection directly (not createTransport) tells us in which step an error happened, which is
// what decides between "certainly not delivered, retry" and "outcome unknown, do not resend".
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { isLoopbackHost } from '../config/schema.js';
import type { MailTransport, TransportResult } from './types.js';

export interface SmtpTransportOptions {
  /** plain `smtp://` without STARTTLS to a host that is not loopback */
  allowInsecure?: boolean;
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** the name given in EHLO */
  clientName?: string;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Runs one SMTPConnection step; settles on its callback, an 'error' or the connection ending. */
function step<T>(conn: SMTPConnection, run: (done: (err?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onEnd = (): void => {
      cleanup();
      reject(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
    };
    const cleanup = (): void => {
      conn.removeListener('error', onError);
      conn.removeListener('end', onEnd);
    };
    conn.once('error', onError);
    conn.once('end', onEnd);
    run((err, value) => {
      cleanup();
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

function describe(err: SmtpError): string {
  return (err.response ?? err.message ?? String(err)).replace(/[\r\n]+/g, ' ').slice(0, 500);
}

export function smtpTransport(url: string, password: string | undefined, opts: SmtpTransportOptions = {}): MailTransport {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`SMTP URL ${JSON.stringify(url)} is not a URL; use smtps://user@host:465 or smtp://user@host:587`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`SMTP URL ${JSON.stringify(url)} has no host`);
  let secure: boolean;
  if (u.protocol === 'smtps:') secure = true;
  else if (u.protocol === 'smtp:') secure = false;
  else throw new Error(`SMTP URL must start with smtps:// (TLS) or smtp:// (STARTTLS), not ${u.protocol}//`);
  const port = u.port ? Number(u.port) : secure ? 465 : 587;
  const loopback = isLoopbackHost(host);
  // smtp:// elsewhere than on loopback must upgrade with STARTTLS unless explicitly allowed not to
  const requireTLS = !secure && !loopback && !opts.allowInsecure;
  const user = u.username ? decodeURIComponent(u.username) : '';
  const pass = password ?? (u.password ? decodeURIComponent(u.password) : '');
  if (user && !pass) throw new Error(`SMTP URL names user ${JSON.stringify(user)} but no password was given`);
  const auth = user ? { user, pass } : null;
  const name = `smtp ${u.protocol}//${host}:${port}${requireTLS ? ' (STARTTLS required)' : ''}`;

  return {
    name,
    async send(msg): Promise<TransportResult> {
      const conn = new SMTPConnection({
        host,
        port,
        secure,
        requireTLS,
        // on loopback, use STARTTLS only when required; a local sink has no trusted certificate
        ignoreTLS: loopback && !requireTLS && !secure,
        name: opts.clientName,
        connectionTimeout: opts.connectionTimeoutMs ?? 15_000,
        greetingTimeout: opts.connectionTimeoutMs ?? 15_000,
        socketTimeout: opts.socketTimeoutMs ?? 60_000,
      });
      conn.on('error', () => undefined); // errors are taken by the step in flight
      let stage: 'connect' | 'auth' | 'send' = 'connect';
      try {
        await step<void>(conn, (done) => conn.connect((err) => done(err ?? null)));
        if (auth) {
          stage = 'auth';
          await step<boolean>(conn, (done) => conn.login(auth, (err, ok) => done(err, ok)));
        }
        stage = 'send';
        const info = await step<SMTPConnection.SentMessageInfo>(conn, (done) =>
          conn.send({ from: msg.from, to: msg.to }, msg.raw, (err, value) => done(err, value)),
        );
        conn.quit();
        const rejected = info.rejected?.length ? ` (rejected: ${info.rejected.join(', ')})` : '';
        return {
          accepted: true,
          response: `${info.response}${rejected}`,
          ...(info.serverMessageId ? { serverMessageId: info.serverMessageId.replace(/^<|>$/g, '') } : {}),
        };
      } catch (e) {
        conn.close();
        const err = e as SmtpError;
        const code = typeof err.responseCode === 'number' ? err.responseCode : null;
        if (stage === 'connect') return { accepted: false, permanent: false, response: `no connection: ${describe(err)}` };
        // a wrong password is a configuration problem, not the message's: keep retrying (logged)
        if (stage === 'auth') return { accepted: false, permanent: false, response: `authentication failed: ${describe(err)}` };
        if (code !== null && code >= 500) return { accepted: false, permanent: true, response: describe(err) };
        if (code !== null && code >= 400) return { accepted: false, permanent: false, response: describe(err) };
        // refused by nodemailer before anything went to the server (bad envelope, empty message)
        if (err.command === 'API') return { accepted: false, permanent: true, response: describe(err) };
        // the connection broke after MAIL FROM: the server may or may not have the message
        throw Object.assign(new Error(`SMTP outcome unknown: ${describe(err)}`), { cause: err });
      }
    },
  };
}
