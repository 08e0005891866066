// A bot in its own process, for crash tests: configured by LISTWATCH_* env vars, it dies by SIGKILL
// at the chosen point of sending (BOT_CRASH=before-send: after the analysis and the outbox row are
// committed, before anything reaches the SMTP server; BOT_CRASH=after-accept: after the server
// accepted the message, before the outbox could mark it sent).
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startBot } from '../../src/bot/run.js';
import { smtpTransport } from '../../src/deliver/outbox.js';
import type { MailTransport } from '../../src/deliver/types.js';

const loaded = loadConfig({ env: process.env, cwd: process.env.BOT_CWD ?? process.cwd() });
const real = smtpTransport(loaded.smtp!.url, loaded.smtp!.password, { allowInsecure: true });
const mode = process.env.BOT_CRASH;
const transport: MailTransport = {
  name: `crashing ${mode}`,
  async send(msg) {
    if (mode === 'before-send') process.kill(process.pid, 'SIGKILL');
    const r = await real.send(msg);
    if (mode === 'after-accept' && r.accepted) process.kill(process.pid, 'SIGKILL');
    return r;
  },
};
const log = pino({ level: process.env.LISTWATCH_TEST_LOG ?? 'silent' });
const rt = await startBot(loaded, {
  cwd: process.env.BOT_CWD ?? process.cwd(),
  log,
  transport,
  schedule: false,
  flushMs: 100,
  imapOptions: { autoIdleDelay: 100, backoffMinMs: 100, backoffMaxMs: 500, watchdogMs: 1000 },
});
// ready once connected: mail delivered from now on is new, not first-start history
const { ImapWatcher } = await import('../../src/source/imap.js');
while (!(rt.source instanceof ImapWatcher && rt.source.connected)) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 200));
process.stdout.write('ready\n');
