import { parseMail } from '../mail/parse.js';
import type { MailPost } from '../mail/types.js';
import { readInputs } from '../source/index.js';
import { Corpus } from './corpus.js';
import { analyzePost } from './post.js';
import type { AnalysisResult } from './types.js';

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

/**
 * Streams every message of every path through the pipeline. A path that cannot be read throws
 * (InputReadError, exit 1 in the CLI); a message that cannot be parsed is recorded under errors.
 */
export async function analyzeInputs(paths: string[], opts: AnalyzeOptions = {}): Promise<AnalyzeRun> {
  const corpus = new Corpus({ keepQuestions: opts.keepQuestions ?? true });
  const mails: MailPost[] = [];
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
    if (corpus.add(analysis) && opts.keepMail) mails.push(mail);
    opts.onMessage?.(item.input);
  }
  return { result: corpus.finish(), mails, messages };
}
