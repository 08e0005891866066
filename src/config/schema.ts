import { z } from 'zod';

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

/** A host on which a plain `imap://` or `smtp://` URL is fine without `allowInsecure` (127/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const email = z
  .string()
  .trim()
  .regex(/^[^\s@<>]{1,128}@[^\s@<>]{1,255}$/, 'must be an e-mail address like bot@example.org');

export const rateLimitsSchema = z
  .object({
    /** commands taken from one sender per hour */
    perSenderPerHour: z.number().int().min(1).default(10),
    /** messages the bot sends per hour, in total */
    globalPerHour: z.number().int().min(1).default(60),
    /** messages sent to one recipient per hour */
    perRecipientPerHour: z.number().int().min(1).default(20),
    /** replies the bot puts into one thread, ever */
    threadReplyBudget: z.number().int().min(0).default(5),
  })
  .strict();

export const configSchema = z
  .object({
    /** the bot's own address (From of everything it sends) */
    address: email.default('listwatch@lists.example'),
    /** display name on the bot's mail */
    name: z.string().min(1).max(100).default('listwatch'),
    /** the list: where replies (replyTo 'list') and the digest go */
    listAddress: email.default('incidents@lists.example'),
    /** the list's List-Id (`incidents.securityfocus.com`); when set, mail without it is ignored */
    listId: z.string().trim().min(1).max(255).nullable().default(null),

    /** `imaps://user@host:993/INBOX`; absent: the embedded Maildir */
    imapUrl: z.string().url('must be a URL like imaps://user@host:993/INBOX').nullable().default(null),
    imapPassword: z.string().nullable().default(null),
    /** a PEM file of the CA certificate(s) that imaps:// trusts instead of the system's (a private CA, a self-signed server) */
    imapCa: z.string().min(1).nullable().default(null),
    /** `smtps://user@host:465` or `smtp://user@host:587` (STARTTLS); absent: .eml files in outboxDir */
    smtpUrl: z.string().url('must be a URL like smtps://user@host:465').nullable().default(null),
    smtpPassword: z.string().nullable().default(null),
    /** allow `imap://`/`smtp://` without TLS to a host that is not loopback */
    allowInsecure: z.boolean().default(false),

    /** the embedded default's list (a Maildir) */
    maildir: z.string().min(1).default('./var/list'),
    /** what to seed an empty maildir with on first run */
    seedFrom: z.string().min(1).nullable().default('fixtures/demo-list'),
    /** the embedded default's outgoing mail (.eml files) */
    outboxDir: z.string().min(1).default('./var/outbox'),
    db: z.string().min(1).default('./var/listwatch.db'),

    /** when the day's digest goes out (it covers the calendar day it runs on) */
    digestCron: z.string().min(1).default('55 23 * * *'),
    timeZone: z.string().min(1).default('UTC'),

    autoReply: z.boolean().default(false),
    replyTo: z.enum(['list', 'requester']).default('list'),
    /** senders whose commands are taken even before they posted */
    allowlist: z.array(email).default([]),
    showTargets: z.boolean().default(false),
    /** when this file exists nothing is sent */
    killSwitchFile: z.string().min(1).default('./var/STOP'),
    /** when this environment variable is set (non-empty, not 0) nothing is sent */
    killSwitchEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').default('LISTWATCH_STOP'),
    rateLimits: rateLimitsSchema.default({
      perSenderPerHour: 10,
      globalPerHour: 60,
      perRecipientPerHour: 20,
      threadReplyBudget: 5,
    }),
    llm: z.boolean().default(false),
    /** secret for the X-Loop token; generated and kept in the database when absent */
    xLoopSecret: z.string().min(16).nullable().default(null),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
