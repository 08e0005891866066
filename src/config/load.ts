import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { validate as validateCron } from 'node-cron';
import { isValidTimeZone } from '../report/digest-time.js';
import type { ImapConnection } from '../source/imap.js';
import { configSchema, isLoopbackHost, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`listwatch: the configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ImapEndpoint extends ImapConnection {
  /** for the log: the URL without the password */
  url: string;
}

export interface SmtpEndpoint {
  url: string;
  password: string | undefined;
  allowInsecure: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** null: the embedded Maildir */
  imap: ImapEndpoint | null;
  /** null: .eml files in outboxDir */
  smtp: SmtpEndpoint | null;
  /** where each value came from, for the start-up log */
  sources: string[];
}

/** Environment variable → config key, with how to read the text. */
const ENV_KEYS: Array<[string, string, 'string' | 'bool' | 'list' | 'int']> = [
  ['LISTWATCH_IMAP_URL', 'imapUrl', 'string'],
  ['LISTWATCH_IMAP_PASSWORD', 'imapPassword', 'string'],
  ['LISTWATCH_IMAP_CA', 'imapCa', 'string'],
  ['LISTWATCH_SMTP_URL', 'smtpUrl', 'string'],
  ['LISTWATCH_SMTP_PASSWORD', 'smtpPassword', 'string'],
  ['LISTWATCH_ADDRESS', 'address', 'string'],
  ['LISTWATCH_NAME', 'name', 'string'],
  ['LISTWATCH_LIST_ADDRESS', 'listAddress', 'string'],
  ['LISTWATCH_LIST_ID', 'listId', 'string'],
  ['LISTWATCH_DB', 'db', 'string'],
  ['LISTWATCH_DIGEST_CRON', 'digestCron', 'string'],
  ['LISTWATCH_TZ', 'timeZone', 'string'],
  ['LISTWATCH_MAILDIR', 'maildir', 'string'],
  ['LISTWATCH_OUTBOX_DIR', 'outboxDir', 'string'],
  ['LISTWATCH_AUTO_REPLY', 'autoReply', 'bool'],
  ['LISTWATCH_REPLY_TO', 'replyTo', 'string'],
  ['LISTWATCH_ALLOWLIST', 'allowlist', 'list'],
  ['LISTWATCH_SHOW_TARGETS', 'showTargets', 'bool'],
  ['LISTWATCH_KILL_SWITCH_FILE', 'killSwitchFile', 'string'],
  ['LISTWATCH_ALLOW_INSECURE', 'allowInsecure', 'bool'],
  ['LISTWATCH_LLM', 'llm', 'bool'],
  ['LISTWATCH_X_LOOP_SECRET', 'xLoopSecret', 'string'],
  ['LISTWATCH_LOG_LEVEL', 'logLevel', 'string'],
  ['LISTWATCH_RATE_PER_SENDER', 'rateLimits.perSenderPerHour', 'int'],
  ['LISTWATCH_RATE_GLOBAL', 'rateLimits.globalPerHour', 'int'],
  ['LISTWATCH_RATE_PER_RECIPIENT', 'rateLimits.perRecipientPerHour', 'int'],
  ['LISTWATCH_THREAD_BUDGET', 'rateLimits.threadReplyBudget', 'int'],
];

const ENV_OF_KEY = new Map(ENV_KEYS.map(([env, key]) => [key, env]));

export interface LoadOptions {
  /** `--config PATH`; when absent `listwatch.config.json` in cwd is read if it exists */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** values that win over file and env (tests, CLI flags) */
  overrides?: Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function parseEnvValue(name: string, text: string, kind: 'string' | 'bool' | 'list' | 'int', problems: string[]): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(t)) return false;
      problems.push(`${name}: must be true or false (got ${JSON.stringify(text.slice(0, 40))})`);
      return undefined;
    }
    case 'list':
      return text
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    case 'int': {
      const n = Number(text.trim());
      if (!Number.isInteger(n)) {
        problems.push(`${name}: must be a whole number (got ${JSON.stringify(text.slice(0, 40))})`);
        return undefined;
      }
      return n;
    }
  }
}

function describeKey(path: PropertyKey[], fromFile: Set<string>, file: string | null): string {
  const key = path.map(String).join('.');
  const env = ENV_OF_KEY.get(key);
  if (fromFile.has(key) || !env) return file ? `${key} (in ${file})` : key;
  return `${key} (${env})`;
}

function mailboxFromPath(pathname: string): string {
  const p = decodeURIComponent(pathname.replace(/^\/+/, ''));
  return p === '' ? 'INBOX' : p;
}

/**
 * Reads the configuration: defaults < config file < environment < overrides, validated with zod.
 * Throws ConfigError listing every problem, each naming its key and where it came from.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: string[] = [];
  const sources: string[] = [];
  const raw: Record<string, unknown> = {};
  const fromFile = new Set<string>();

  let file: string | null = null;
  const explicit = opts.configFile ?? env.LISTWATCH_CONFIG;
  const candidate = resolve(cwd, explicit ?? 'listwatch.config.json');
  if (explicit && !existsSync(candidate)) {
    throw new ConfigError([`--config: no such file ${candidate}`]);
  }
  if (existsSync(candidate)) {
    file = candidate;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (err) {
      throw new ConfigError([`${candidate}: not valid JSON (${(err as Error).message})`]);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError([`${candidate}: must hold a JSON object`]);
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (k === '$schema' || k === '$comment') continue;
      raw[k] = v;
      fromFile.add(k);
      if (k === 'rateLimits' && typeof v === 'object' && v !== null) {
        for (const sub of Object.keys(v)) fromFile.add(`rateLimits.${sub}`);
      }
    }
    sources.push(`config file ${candidate}`);
  }

  const envUsed: string[] = [];
  for (const [name, key, kind] of ENV_KEYS) {
    const text = env[name];
    if (text === undefined) continue;
    const value = parseEnvValue(name, text, kind, problems);
    if (value === undefined) continue;
    if (kind === 'string' && text === '' && key !== 'listId') continue;
    setPath(raw, key, kind === 'string' && text === '' ? null : value);
    fromFile.delete(key);
    envUsed.push(name);
  }
  if (envUsed.length) sources.push(`environment ${envUsed.join(', ')}`);
  for (const [k, v] of Object.entries(opts.overrides ?? {})) setPath(raw, k, v);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          problems.push(`${describeKey([...issue.path, k], fromFile, file)}: unknown setting`);
        }
        continue;
      }
      problems.push(`${describeKey(issue.path, fromFile, file)}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const config = result.data;

  const imap = config.imapUrl ? checkImap(config, problems, fromFile, file, cwd) : null;
  const smtp = config.smtpUrl ? checkSmtp(config, problems, fromFile, file) : null;
  if (!isValidTimeZone(config.timeZone)) {
    problems.push(`${describeKey(['timeZone'], fromFile, file)}: unknown time zone ${JSON.stringify(config.timeZone)} (use an IANA name like Europe/Berlin)`);
  }
  if (!isValidCron(config.digestCron)) {
    problems.push(`${describeKey(['digestCron'], fromFile, file)}: not a cron expression ${JSON.stringify(config.digestCron)} (e.g. "0 7 * * *")`);
  }
  if (problems.length) throw new ConfigError(problems);
  if (!sources.length) sources.push('built-in defaults (the embedded Maildir list)');
  return { config, imap, smtp, sources };
}

function checkImap(config: Config, problems: string[], fromFile: Set<string>, file: string | null, cwd: string): ImapEndpoint | null {
  const key = describeKey(['imapUrl'], fromFile, file);
  const u = new URL(config.imapUrl!);
  if (u.protocol !== 'imaps:' && u.protocol !== 'imap:') {
    problems.push(`${key}: must start with imaps:// (or imap:// on loopback), got ${u.protocol}//`);
    return null;
  }
  const secure = u.protocol === 'imaps:';
  const host = u.hostname;
  if (!secure && !isLoopbackHost(host) && !config.allowInsecure) {
    problems.push(`${key}: imap:// sends the password in clear to ${host}; use imaps:// or set allowInsecure (LISTWATCH_ALLOW_INSECURE=1)`);
  }
  if (!u.username) problems.push(`${key}: names no user (imaps://USER@${host}/INBOX)`);
  const password = config.imapPassword ?? (u.password ? decodeURIComponent(u.password) : undefined);
  if (password === undefined) {
    problems.push(`imapPassword (LISTWATCH_IMAP_PASSWORD): required with ${ENV_OF_KEY.get('imapUrl')}`);
  }
  const port = u.port ? Number(u.port) : secure ? 993 : 143;
  const endpoint: ImapEndpoint = {
    url: `${u.protocol}//${u.username}@${host}:${port}${u.pathname}`,
    host: host.replace(/^\[|\]$/g, ''),
    port,
    secure,
    user: decodeURIComponent(u.username),
    password,
    mailbox: mailboxFromPath(u.pathname),
  };
  if (config.imapCa) {
    const ca = readCaFile(resolve(cwd, config.imapCa));
    const caKey = describeKey(['imapCa'], fromFile, file);
    if (!secure) problems.push(`${caKey}: applies to imaps:// only; ${key} is imap://`);
    else if (typeof ca !== 'string') problems.push(`${caKey}: ${ca.problem}`);
    else endpoint.ca = ca;
  }
  return endpoint;
}

const MAX_CA_FILE = 1024 * 1024;

/** The PEM text of a CA file, or what is wrong with it. */
function readCaFile(path: string): string | { problem: string } {
  let text: string;
  try {
    if (statSync(path).size > MAX_CA_FILE) return { problem: `${path} is larger than ${MAX_CA_FILE} bytes; not a CA file` };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return { problem: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
  return text;
}

function checkSmtp(config: Config, problems: string[], fromFile: Set<string>, file: string | null): SmtpEndpoint | null {
  const key = describeKey(['smtpUrl'], fromFile, file);
  const u = new URL(config.smtpUrl!);
  if (u.protocol !== 'smtps:' && u.protocol !== 'smtp:') {
    problems.push(`${key}: must start with smtps:// or smtp:// (STARTTLS), got ${u.protocol}//`);
    return null;
  }
  const password = config.smtpPassword ?? (u.password ? decodeURIComponent(u.password) : undefined);
  if (u.username && password === undefined) {
    problems.push(`smtpPassword (LISTWATCH_SMTP_PASSWORD): required when ${key} names a user`);
  }
  const loopback = isLoopbackHost(u.hostname);
  u.password = '';
  return { url: u.toString(), password, allowInsecure: config.allowInsecure || loopback };
}

/** 5 or 6 cron fields that node-cron accepts. */
export function isValidCron(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  return validateCron(expr.trim());
}

