import type { InputError } from '../contract.js';
import { parseMail } from '../mail/parse.js';
import type { MailPost } from '../mail/types.js';
import { readInputs } from '../source/index.js';
import { Corpus } from './corpus.js';
import { analyzePost } from './post.js';
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
  const messages = await feedInputs(paths, opts, corpus, opts.keepMail ? (mail) => mails.push(mail) : undefined);
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
    const messages = await feedInputs(paths, opts, corpus);
    await corpus.writeJson(out);
    return messages;
  } finally {
    corpus.dispose();
  }
}

async function feedInputs(paths: string[], opts: AnalyzeOptions, corpus: CorpusSink, onAdded?: (mail: MailPost) => void): Promise<number> {
  let messages = 0;
  const sinceMs = opts.since?.getTime();
  for await (const item of readInputs(paths, opts.stdin ? { stdin: opts.stdin } : {})) {
    messages++;
    if (item.kind === 'error') {
      corpus.addError({ input: item.input, message: item.message });
      continue;
    }
    let mail: MailPost;
    try {
      mail = await parseMail(item.raw, item.input);
    } catch (err) {
      corpus.addError({ input: item.input, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    if (sinceMs !== undefined && mail.date && Date.parse(mail.date) < sinceMs) continue;
    let analysis;
    try {
      analysis = analyzePost(mail, mail.id);
    } catch (err) {
      // a bug in an extractor or classifier costs this message, never the run
      corpus.addError({ input: item.input, message: `analysis failed: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (corpus.add(analysis)) onAdded?.(mail);
    opts.onMessage?.(item.input);
  }
  return messages;
}
