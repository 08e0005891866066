import { parentPort } from 'node:worker_threads';
import type { InputError } from '../contract.js';
import { parseMail } from '../mail/parse.js';
import type { MailPost } from '../mail/types.js';
import { analyzePost } from './post.js';
import type { PostAnalysis } from './types.js';

/** What one message came to: analysed, skipped (dated before --since), or an error for the document. */
export type MessageOutcome =
  | { kind: 'post'; analysis: PostAnalysis }
  | { kind: 'skip' }
  | { kind: 'error'; error: InputError };

export interface MessageJobOptions {
  /** posts dated before this (ms since the epoch) are skipped */
  sinceMs?: number;
}

/**
 * parseMail then analyzePost for one raw message, the same on the main thread and in a worker.
 * Never throws: a message that cannot be parsed or analysed becomes an error outcome.
 */
export async function analyzeMessage(raw: Buffer, input: string, opts: MessageJobOptions = {}): Promise<MessageOutcome> {
  let mail: MailPost;
  try {
    mail = await parseMail(raw, input);
  } catch (err) {
    return { kind: 'error', error: { input, message: err instanceof Error ? err.message : String(err) } };
  }
  if (opts.sinceMs !== undefined && mail.date && Date.parse(mail.date) < opts.sinceMs) return { kind: 'skip' };
  try {
    return { kind: 'post', analysis: analyzePost(mail, mail.id) };
  } catch (err) {
    // a bug in an extractor or classifier costs this message, never the run
    return { kind: 'error', error: { input, message: `analysis failed: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

/** a MailPost's headers when they are not sent back (the corpora never read them) */
const NO_HEADERS: MailPost['headers'] = { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] };

/**
 * The analysis as a worker sends it back when the posts are not kept: the corpora read the post,
 * its observations and statements, and of the mail only its ids, references, subject, date,
 * input and warnings, so the body text, its blocks and the routing headers stay in the worker
 * (the structured clone costs ~20 µs a post to write and as much to read; bodies would double it).
 */
export function withoutBody(pa: PostAnalysis, keepQuestions: boolean): PostAnalysis {
  const m = pa.mail;
  const mail: MailPost = {
    id: m.id,
    hasMessageId: m.hasMessageId,
    inReplyTo: m.inReplyTo,
    references: m.references,
    subject: m.subject,
    date: m.date,
    offsetMinutes: m.offsetMinutes,
    from: m.from,
    text: '',
    blocks: [],
    tlp: m.tlp,
    headers: NO_HEADERS,
    input: m.input,
    warnings: m.warnings,
  };
  return { mail, post: pa.post, observations: pa.observations, statements: pa.statements, questions: keepQuestions ? pa.questions : [] };
}

/** What the main thread sends: messages with their sequence numbers; raw arrives as a transferred Uint8Array. */
export interface WorkerBatch {
  batch: number;
  messages: { seq: number; input: string; raw: Uint8Array }[];
}

export interface WorkerReply {
  batch: number;
  outcomes: MessageOutcome[];
}

export interface WorkerSettings {
  sinceMs?: number;
  /** send the whole MailPost back (the LLM pass reads the bodies); otherwise the body is left out */
  keepMail: boolean;
  keepQuestions: boolean;
}

export async function analyzeBatch(job: WorkerBatch, settings: WorkerSettings): Promise<WorkerReply> {
  const outcomes: MessageOutcome[] = [];
  for (const m of job.messages) {
    const raw = Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength);
    const outcome = await analyzeMessage(raw, m.input, settings.sinceMs === undefined ? {} : { sinceMs: settings.sinceMs });
    outcomes.push(outcome.kind === 'post' && !settings.keepMail ? { kind: 'post', analysis: withoutBody(outcome.analysis, settings.keepQuestions) } : outcome);
  }
  return { batch: job.batch, outcomes };
}

/** The message loop: batches are taken strictly one after another, so a crash or a hang belongs to the batch in progress. */
export function serveBatches(settings: WorkerSettings, handle: (job: WorkerBatch) => Promise<WorkerReply> = (job) => analyzeBatch(job, settings)): void {
  const port = parentPort;
  if (!port) return;
  const queue: WorkerBatch[] = [];
  let busy = false;
  const next = async (): Promise<void> => {
    busy = true;
    while (queue.length > 0) {
      const job = queue.shift()!;
      port.postMessage(await handle(job));
    }
    busy = false;
  };
  port.on('message', (job: WorkerBatch) => {
    queue.push(job);
    if (!busy) void next();
  });
  port.postMessage({ ready: true });
}
