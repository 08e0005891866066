import type { InputError } from '../contract.js';
import type { MailPost } from '../mail/types.js';
import { readInputs } from '../source/index.js';
import { Corpus } from './corpus.js';
import { feedInParallel } from './parallel.js';
import { analyzeMessage, type MessageOutcome, type WorkerSettings } from './parallel-message.js';
import { SpillCorpus } from './spill.js';
import type { AnalysisResult, PostAnalysis } from './types.js';

export interface AnalyzeOptions {
  /** posts dated before this are skipped */
  since?: Date;
  stdin?: NodeJS.ReadableStream;
  /** keep the parsed posts (for the LLM pass); off by default so memory stays flat */
  keepMail?: boolean;
  /** keep the prose questions in the result (the text and markdown reports show them; the JSON document has none); on by default */
  keepQuestions?: boolean;
  /** called after each message, for progress reporting */
  onMessage?: (input: string) => void;
  /** threads that analyse: 1 (default) parses and analyses on this thread; N > 1 uses N-1 worker threads while this one reads and feeds the corpus (same result) */
  jobs?: number;
  /** told when no worker thread could be started and the run goes on on this thread */
  onWorkerFallback?: (reason: string) => void;
}

export interface AnalyzeRun {
  result: AnalysisResult;
  mails: MailPost[];
  messages: number;
}

/** What the messages are fed into: the in-memory Corpus or the spilling one. */
interface CorpusSink {
  add(pa: PostAnalysis): boolean;
  addError(e: InputError): void;
}

/**
 * Streams every message of every path through the pipeline. A path that cannot be read throws
 * (InputReadError, exit 1 in the CLI); a message that cannot be parsed is recorded under errors.
 */
export async function analyzeInputs(paths: string[], opts: AnalyzeOptions = {}): Promise<AnalyzeRun> {
  const corpus = new Corpus({ keepQuestions: opts.keepQuestions ?? true });
  const mails: MailPost[] = [];
  const messages = await feedInputs(paths, opts, corpus, opts.keepMail ? (mail) => mails.push(mail) : undefined, opts.keepQuestions ?? true);
  return { result: corpus.finish(), mails, messages };
}

/**
 * analyzeInputs for the JSON document only, with memory that does not follow the archive's size:
 * posts and observations go to temp files as they are analysed (SpillCorpus) and the document is
 * streamed to `out` from them. Same bytes as writing analyzeInputs' document. Returns the number of
 * messages read.
 */
export async function analyzeInputsToJson(paths: string[], out: NodeJS.WritableStream, opts: Omit<AnalyzeOptions, 'keepMail' | 'keepQuestions'> & { tmpDir?: string } = {}): Promise<number> {
  const corpus = new SpillCorpus(opts.tmpDir ? { tmpDir: opts.tmpDir } : {});
  try {
    const messages = await feedInputs(paths, opts, corpus, undefined, false);
    await corpus.writeJson(out);
    return messages;
  } finally {
    corpus.dispose();
  }
}

async function feedInputs(paths: string[], opts: AnalyzeOptions, corpus: CorpusSink, onAdded?: (mail: MailPost) => void, keepQuestions = true): Promise<number> {
  const sinceMs = opts.since?.getTime();
  const items = readInputs(paths, opts.stdin ? { stdin: opts.stdin } : {});
  const deliver = (outcome: MessageOutcome, input: string): void => {
    if (outcome.kind === 'error') corpus.addError(outcome.error);
    if (outcome.kind !== 'post') return;
    if (corpus.add(outcome.analysis)) onAdded?.(outcome.analysis.mail);
    opts.onMessage?.(input);
  };
  const jobs = opts.jobs ?? 1;
  if (jobs > 1) {
    const settings: WorkerSettings = { keepMail: onAdded !== undefined, keepQuestions, ...(sinceMs === undefined ? {} : { sinceMs }) };
    return feedInParallel(items, { workers: jobs - 1, settings, ...(opts.onWorkerFallback ? { onFallback: opts.onWorkerFallback } : {}) }, deliver);
  }
  let messages = 0;
  for await (const item of items) {
    messages++;
    if (item.kind === 'error') deliver({ kind: 'error', error: { input: item.input, message: item.message } }, item.input);
    else deliver(await analyzeMessage(item.raw, item.input, sinceMs === undefined ? {} : { sinceMs }), item.input);
  }
  return messages;
}
