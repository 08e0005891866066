import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeInputs, analyzeInputsToJson } from '../analyze/run.js';
import type { AnalysisResult } from '../analyze/types.js';
import { InputReadError } from '../source/index.js';
import { writeJsonDocument } from '../analyze/json-out.js';

export type ReportFormat = 'text' | 'json' | 'markdown';

/** The report in a format; the renderers are imported on first use (an `analyze --format json` run needs neither). */
export async function renderResult(result: AnalysisResult, format: ReportFormat, opts: { showTargets?: boolean } = {}): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result.doc, null, 2)}\n`;
    case 'markdown':
      return (await import('../report/markdown.js')).renderMarkdown(result, opts);
    case 'text':
      return (await import('../report/text.js')).renderText(result, opts);
  }
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(`'${value}' is not a number of threads from 1 to 256`);
  return n;
}

function parseSince(value: string): Date {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`'${value}' is not a date (use e.g. 2001-09-06 or 2001-09-06T10:00:00+01:00)`);
  return new Date(ms);
}

export function analyzeCommand(out: NodeJS.WritableStream = process.stdout): Command {
  return new Command('analyze')
    .description('Analyze posts and print what they hold: findings, observations, and what the evidence says.')
    .argument('<path...>', "mbox file, Maildir folder, folder of .eml files, one .eml or .txt post, or '-' for standard input")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--since <date>', 'skip posts dated before this', parseSince)
    .option('--show-targets', "show reporters' own addresses in full instead of as their /24", false)
    .option('--llm', 'add LLM corroboration and narrative (needs OPENAI_API_KEY)', false)
    .option('-j, --jobs <n>', 'threads that parse and analyse posts: 1 does it all on one thread; N > 1 uses N-1 worker threads beside the one that reads and writes (same output)', parseJobs, 1)
    .action(async (paths: string[], opts: { format: ReportFormat; since?: Date; showTargets: boolean; llm: boolean; jobs: number }) => {
      let run;
      const threads = {
        jobs: opts.jobs,
        onWorkerFallback: (reason: string) => process.stderr.write(`listwatch: no worker thread could start (${reason}); analysing on the main thread\n`),
      };
      try {
        if (opts.format === 'json' && !opts.llm) {
          // spilled to temp files and streamed out: memory does not follow the archive's size
          await analyzeInputsToJson(paths, out, { since: opts.since, ...threads });
          return;
        }
        // the JSON document carries no questions; only the reports and the LLM pass read them
        run = await analyzeInputs(paths, { since: opts.since, ...threads, keepMail: opts.llm, keepQuestions: opts.format !== 'json' || opts.llm });
      } catch (err) {
        if (err instanceof InputReadError) {
          process.stderr.write(`listwatch: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
      let result = run.result;
      if (opts.llm) {
        const { enrichFromEnv } = await import('./llm-wiring.js');
        result = await enrichFromEnv(result, run.mails);
      }
      if (opts.format === 'json') await writeJsonDocument(result.doc, out);
      else out.write(await renderResult(result, opts.format, { showTargets: opts.showTargets }));
    });
}
