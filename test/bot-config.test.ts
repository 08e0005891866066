import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'listwatch-config-'));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('defaults to the embedded Maildir list, .eml outbox and ./var/listwatch.db', () => {
    const { config, imap, smtp } = loadConfig({ env: {}, cwd: dir() });
    expect(imap).toBeNull();
    expect(smtp).toBeNull();
    expect(config.maildir).toBe('./var/list');
    expect(config.outboxDir).toBe('./var/outbox');
    expect(config.db).toBe('./var/listwatch.db');
    expect(config.seedFrom).toBe('fixtures/demo-list');
    expect(config.replyTo).toBe('list');
    expect(config.autoReply).toBe(false);
  });

  it('reads the environment variables of a real list', () => {
    const { config, imap, smtp } = loadConfig({
      cwd: dir(),
      env: {
        LISTWATCH_IMAP_URL: 'imaps://bot@mail.example.org:993/Lists/incidents',
        LISTWATCH_IMAP_PASSWORD: 'secret',
        LISTWATCH_SMTP_URL: 'smtp://bot@mail.example.org:587',
        LISTWATCH_SMTP_PASSWORD: 'secret2',
        LISTWATCH_ADDRESS: 'listwatch@example.org',
        LISTWATCH_LIST_ADDRESS: 'incidents@example.org',
        LISTWATCH_LIST_ID: 'incidents.example.org',
        LISTWATCH_DB: '/var/lib/listwatch/state.db',
        LISTWATCH_DIGEST_CRON: '0 7 * * *',
        LISTWATCH_TZ: 'Pacific/Auckland',
        LISTWATCH_AUTO_REPLY: 'true',
        LISTWATCH_REPLY_TO: 'requester',
        LISTWATCH_ALLOWLIST: 'a@example.org, b@example.org',
        LISTWATCH_THREAD_BUDGET: '2',
      },
    });
    expect(imap).toMatchObject({ host: 'mail.example.org', port: 993, secure: true, user: 'bot', password: 'secret', mailbox: 'Lists/incidents' });
    expect(smtp).toMatchObject({ password: 'secret2', allowInsecure: false });
    expect(smtp!.url).not.toContain('secret');
    expect(config).toMatchObject({
      address: 'listwatch@example.org',
      listAddress: 'incidents@example.org',
      listId: 'incidents.example.org',
      db: '/var/lib/listwatch/state.db',
      timeZone: 'Pacific/Auckland',
      autoReply: true,
      replyTo: 'requester',
      allowlist: ['a@example.org', 'b@example.org'],
    });
    expect(config.rateLimits.threadReplyBudget).toBe(2);
  });

  it('refuses imap:// to a remote host unless allowInsecure, accepts it on loopback', () => {
    const p = problems(() => loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imap://bot@mail.example.org/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' } }));
    expect(p.join('\n')).toMatch(/imapUrl \(LISTWATCH_IMAP_URL\): imap:\/\/ sends the password in clear/);
    expect(loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imap://bot@mail.example.org/INBOX', LISTWATCH_IMAP_PASSWORD: 'x', LISTWATCH_ALLOW_INSECURE: '1' } }).imap?.secure).toBe(false);
    expect(loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imap://bot@127.0.0.1:1143/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' } }).imap?.port).toBe(1143);
    // all of 127/8 is loopback, as the SMTP transport has it
    expect(loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imap://bot@127.0.0.2:1143/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' } }).imap?.host).toBe('127.0.0.2');
    expect(problems(() => loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imap://bot@128.0.0.1/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' } }))[0]).toMatch(/sends the password in clear/);
  });

  it('names every mistake with its key and where it came from', () => {
    const d = dir();
    writeFileSync(join(d, 'listwatch.config.json'), JSON.stringify({ replyTo: 'everyone', listAddress: 'not-an-address', rateLimits: { globalPerHour: 0 }, colour: 'blue' }));
    const p = problems(() =>
      loadConfig({ cwd: d, env: { LISTWATCH_TZ: 'Mars/Olympus', LISTWATCH_DIGEST_CRON: 'every day', LISTWATCH_AUTO_REPLY: 'maybe', LISTWATCH_IMAP_URL: 'pop3://x@y/' } }),
    ).join('\n');
    expect(p).toMatch(/LISTWATCH_AUTO_REPLY: must be true or false/);
    expect(p).toMatch(/replyTo \(in .*listwatch\.config\.json\)/);
    expect(p).toMatch(/listAddress \(in .*\): must be an e-mail address/);
    expect(p).toMatch(/rateLimits\.globalPerHour \(in .*\)/);
    expect(p).toMatch(/colour \(in .*\): unknown setting/);
    // the schema errors come first; the URL, zone and cron checks run once the shape is right
    const p2 = problems(() => loadConfig({ cwd: dir(), env: { LISTWATCH_TZ: 'Mars/Olympus', LISTWATCH_DIGEST_CRON: 'every day', LISTWATCH_IMAP_URL: 'pop3://x@y/' } })).join('\n');
    expect(p2).toMatch(/timeZone \(LISTWATCH_TZ\): unknown time zone "Mars\/Olympus"/);
    expect(p2).toMatch(/digestCron \(LISTWATCH_DIGEST_CRON\): not a cron expression/);
    expect(p2).toMatch(/imapUrl \(LISTWATCH_IMAP_URL\): must start with imaps:\/\//);
  });

  it('requires the IMAP password and says where to put it', () => {
    const p = problems(() => loadConfig({ cwd: dir(), env: { LISTWATCH_IMAP_URL: 'imaps://bot@mail.example.org/INBOX' } }));
    expect(p.join('\n')).toMatch(/LISTWATCH_IMAP_PASSWORD/);
  });

  it('reads --config and lets the environment override the file', () => {
    const d = dir();
    const file = join(d, 'my.json');
    writeFileSync(file, JSON.stringify({ listAddress: 'a@example.org', timeZone: 'Europe/Berlin', autoReply: true }));
    const { config, sources } = loadConfig({ cwd: d, configFile: file, env: { LISTWATCH_TZ: 'UTC' } });
    expect(config.listAddress).toBe('a@example.org');
    expect(config.timeZone).toBe('UTC');
    expect(config.autoReply).toBe(true);
    expect(sources.join(' ')).toContain(file);
    expect(problems(() => loadConfig({ cwd: d, configFile: join(d, 'missing.json'), env: {} }))[0]).toMatch(/--config: no such file/);
  });

  it('says so when the file is not JSON', () => {
    const d = dir();
    writeFileSync(join(d, 'listwatch.config.json'), '{ "autoReply": true, }');
    expect(problems(() => loadConfig({ cwd: d, env: {} }))[0]).toMatch(/not valid JSON/);
  });
  it('reads a CA file for imaps:// (LISTWATCH_IMAP_CA, relative to the working directory) and says what is wrong with one', () => {
    const cwd = dir();
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(cwd, 'ca.pem'), pem);
    writeFileSync(join(cwd, 'notes.txt'), 'not a certificate');
    const env = { LISTWATCH_IMAP_URL: 'imaps://bot@mail.example.org/INBOX', LISTWATCH_IMAP_PASSWORD: 'x' };
    expect(loadConfig({ cwd, env: { ...env, LISTWATCH_IMAP_CA: 'ca.pem' } }).imap?.ca).toBe(pem);
    expect(loadConfig({ cwd, env }).imap?.ca).toBeUndefined();
    expect(problems(() => loadConfig({ cwd, env: { ...env, LISTWATCH_IMAP_CA: 'missing.pem' } }))).toEqual([
      `imapCa (LISTWATCH_IMAP_CA): cannot read ${join(cwd, 'missing.pem')} (ENOENT)`,
    ]);
    expect(problems(() => loadConfig({ cwd, env: { ...env, LISTWATCH_IMAP_CA: 'notes.txt' } }))[0]).toMatch(/^imapCa \(LISTWATCH_IMAP_CA\): .*notes\.txt holds no PEM certificate/);
    const plain = { LISTWATCH_IMAP_URL: 'imap://bot@127.0.0.1:1143/INBOX', LISTWATCH_IMAP_PASSWORD: 'x', LISTWATCH_IMAP_CA: 'ca.pem' };
    expect(problems(() => loadConfig({ cwd, env: plain }))[0]).toMatch(/^imapCa \(LISTWATCH_IMAP_CA\): applies to imaps:\/\/ only/);
  });
});
