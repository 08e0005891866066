// hoodiecrow-imap in process, on a loopback port: a real IMAP server over TCP for the bot's tests.
// Its mailbox lives in a plain object we keep, so a "restart" (stop, then start on the same port)
// keeps the messages and UIDs, like a real server restarting over the same Maildir.
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hoodiecrow = require('hoodiecrow-imap') as (opts: Record<string, unknown>) => HoodiecrowServer;

interface HoodiecrowServer {
  server: net.Server;
  listen(port: number, host: string, cb: () => void): void;
  close(cb?: () => void): void;
  appendMessage(mailbox: string, flags: string[], internaldate: Date | undefined, raw: string): unknown;
  processMessage(message: unknown, mailbox: unknown): void;
  getMailbox(path: string): { messages: Array<{ raw: string; uid: number }>; uidnext: number; uidvalidity: number };
}

export interface TestImapServer {
  port: number;
  user: string;
  password: string;
  readonly running: boolean;
  /** delivers a message (IDLE clients get EXISTS); while stopped it is stored for the restart */
  deliver(raw: string | Buffer): void;
  messageCount(): number;
  /** adds a message without telling any IDLE client (an IDLE that silently died) */
  deliverSilently(raw: string): void;
  /** kills the server and every connection (like a crash) */
  stop(): Promise<void>;
  /** starts again on the same port with the same mailbox */
  start(): Promise<void>;
  /** changes UIDVALIDITY and renumbers the messages (the next start shows it) */
  resetUidValidity(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ImapServerOptions {
  /** IMAP over TLS from the first byte (imaps://) with this PEM key and certificate */
  tls?: { key: string; cert: string };
}

export async function startImapServer(opts: ImapServerOptions = {}): Promise<TestImapServer> {
  const user = 'bot';
  const password = 'botpass';
  const storage: Record<string, unknown> = {
    INBOX: { messages: [] as Array<Record<string, unknown>>, uidvalidity: 1001 },
    '': { separator: '/' },
  };
  const port = await freePort();
  let server: HoodiecrowServer | null = null;
  let sockets = new Set<net.Socket>();

  const start = async (): Promise<void> => {
    const s = hoodiecrow({
      plugins: ['IDLE', 'ID', 'ENABLE', 'UNSELECT', 'NAMESPACE', 'UIDPLUS'],
      storage,
      users: { [user]: { password } },
      ...(opts.tls ? { secureConnection: true, credentials: { key: opts.tls.key, cert: opts.tls.cert } } : {}),
    });
    sockets = new Set();
    s.server.on('connection', (sock: net.Socket) => {
      // hoodiecrow answers in several small writes; without this the last one waits ~40 ms for the
      // client's delayed ACK on every round trip (bench/README.md, live)
      sock.setNoDelay(true);
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    server = s;
  };
  await start();

  return {
    port,
    user,
    password,
    get running() {
      return server !== null;
    },
    deliver(raw) {
      const text = Buffer.isBuffer(raw) ? raw.toString('binary') : raw;
      if (server) server.appendMessage('INBOX', [], new Date(), text);
      // stopped: the message waits in the store; the next start numbers it (as a server's MTA would)
      else (storage.INBOX as { messages: Array<Record<string, unknown>> }).messages.push({ raw: text, flags: [] });
    },
    deliverSilently(raw) {
      if (!server) throw new Error('server is stopped');
      const box = server.getMailbox('INBOX');
      const message = { raw, flags: [] as string[] };
      box.messages.push(message as unknown as { raw: string; uid: number });
      server.processMessage(message, box);
    },
    messageCount() {
      return (storage.INBOX as { messages: unknown[] }).messages.length;
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start,
    resetUidValidity() {
      const box = storage.INBOX as { messages: Array<Record<string, unknown>>; uidvalidity: number; uidnext?: number };
      box.uidvalidity += 1;
      box.messages.forEach((m, i) => (m.uid = i + 1));
      box.uidnext = box.messages.length + 1;
    },
  };
}
