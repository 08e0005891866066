// analyze --jobs N (src/analyze/parallel.ts): real worker threads, against the one-thread path.
// The same bytes on fixtures and a generated archive, outcomes in input order, errors recorded as
// on one thread, a bounded read-ahead, and workers that crash, exit, hang or cannot start.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, writeArchive } from '../bench/generate.js';
import { feedInParallel, type ParallelOptions } from '../src/analyze/parallel.js';
import { analyzeMessage, type MessageOutcome } from '../src/analyze/parallel-message.js';
import { analyzeInputs, analyzeInputsToJson, type AnalyzeOptions } from '../src/analyze/run.js';
import type { SourceItem } from '../src/source/index.js';
import { Collect } from './helpers/collect.js';

const ROOT = join(import.meta.dirname, '..');
const FAULTY = new URL('./helpers/analyze-worker-faulty.ts', import.meta.url);
const BROKEN = new URL('./helpers/analyze-worker-broken.ts', import.meta.url);

let work: string;
let archive: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'listwatch-parallel-test-'));
  archive = join(work, 'archive.mbox');
  await writeArchive(archive, 300, 20010906, { ...DEFAULT_SHAPE, recordShare: 0.3, pasteEvery: 1_000_000, attachmentShare: 0.02 });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function json(paths: string[], opts: Omit<AnalyzeOptions, 'keepMail' | 'keepQuestions'> = {}): Promise<string> {
  const out = new Collect();
  await analyzeInputsToJson(paths, out, opts);
  return out.text();
}

/** a post as raw bytes; `extra` goes into the headers */
function post(n: number, body: string, extra = ''): Buffer {
  return Buffer.from(
    `From: Analyst ${n} <a${n}@example.org>\nTo: incidents@example.org\nSubject: scan ${n}\nDate: Thu, 6 Sep 2001 10:${String(n % 60).padStart(2, '0')}:00 -0400\nMessage-ID: <post-${n}@example.org>\n${extra}\n${body}\n`,
  );
}

const ARGUS = [
  '   StartTime    Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State',
  '   10:15:02.123  e        tcp      10.1.2.3.4321     ->      192.0.2.10.80          3        180   RST',
].join('\n');

async function* itemsOf(items: SourceItem[], pulled?: { n: number }): AsyncGenerator<SourceItem> {
  for (const item of items) {
    if (pulled) pulled.n++;
    yield item;
  }
}

/** what the one-thread path makes of the items */
async function inThread(items: SourceItem[]): Promise<MessageOutcome[]> {
  const out: MessageOutcome[] = [];
  for (const item of items) out.push(item.kind === 'error' ? { kind: 'error', error: { input: item.input, message: item.message } } : await analyzeMessage(item.raw, item.input));
  return out;
}

async function parallel(items: SourceItem[], opts: Partial<ParallelOptions> = {}): Promise<{ outcomes: MessageOutcome[]; inputs: string[]; read: number }> {
  const outcomes: MessageOutcome[] = [];
  const inputs: string[] = [];
  const read = await feedInParallel(itemsOf(items), { workers: 2, settings: { keepMail: true, keepQuestions: true }, ...opts }, (o, input) => {
    outcomes.push(o);
    inputs.push(input);
  });
  return { outcomes, inputs, read };
}

/** an outcome as the corpus sees it: the post's id and observation ids, or the error */
function summary(o: MessageOutcome): string {
  if (o.kind === 'post') return `post ${o.analysis.post.id} ${o.analysis.observations.map((x) => x.id).join(',')}`;
  if (o.kind === 'error') return `error ${o.error.input}: ${o.error.message}`;
  return 'skip';
}

describe('analyze --jobs: the same document as one thread', () => {
  it('fixture folders and a generated archive, with 1 and 2 workers', async () => {
    for (const paths of [['fixtures/seed'], ['fixtures/demo-list'], ['fixtures/field'], ['fixtures/mail'], [archive]]) {
      const abs = paths.map((p) => (p.startsWith('/') ? p : join(ROOT, p)));
      const one = await json(abs);
      expect(await json(abs, { jobs: 2 })).toBe(one);
      expect(await json(abs, { jobs: 3 })).toBe(one);
    }
  }, 120_000);

  it('--since, and the in-memory result with the posts kept for the LLM pass', async () => {
    const since = new Date('2001-09-07T00:00:00Z');
    expect(await json([join(ROOT, 'fixtures/demo-list')], { since, jobs: 2 })).toBe(await json([join(ROOT, 'fixtures/demo-list')], { since }));
    const one = await analyzeInputs([archive, join(ROOT, 'fixtures/mail')], { keepMail: true });
    const two = await analyzeInputs([archive, join(ROOT, 'fixtures/mail')], { keepMail: true, jobs: 2 });
    expect(two.messages).toBe(one.messages);
    expect(two.result).toEqual(one.result);
    // the whole posts (bodies and blocks) come back when they are kept
    expect(two.mails).toEqual(one.mails);
    expect(two.mails.some((m) => m.text.length > 0 && m.blocks.length > 0)).toBe(true);
  }, 120_000);

  it('a path that cannot be read still throws InputReadError (and the workers are stopped)', async () => {
    await expect(json([join(work, 'no-such.mbox')], { jobs: 2 })).rejects.toMatchObject({ name: 'InputReadError' });
  });
});

describe('feedInParallel', () => {
  it('hands outcomes on in input order, errors where they were read, whatever order the workers finish in', async () => {
    const items: SourceItem[] = [];
    for (let i = 0; i < 60; i++) {
      // a long post now and then, so a worker with short ones finishes first
      const body = i % 7 === 0 ? Array.from({ length: 400 }, () => ARGUS).join('\n') : `Seen here too.\n\n${ARGUS}`;
      items.push({ kind: 'message', input: `in#${i}`, raw: post(i, body) });
      if (i % 13 === 5) items.push({ kind: 'error', input: `in#${i}b`, message: 'message of 30000000 bytes skipped' });
      if (i % 17 === 3) items.push({ kind: 'message', input: `in#${i}c`, raw: Buffer.from('\u0000\u0001\u0002binary\u0000'.repeat(50)) });
    }
    const expected = await inThread(items);
    expect(expected.some((o) => o.kind === 'error' && o.error.message !== 'message of 30000000 bytes skipped')).toBe(true);
    for (const batchMessages of [1, 5]) {
      const got = await parallel(items, { batchMessages, workers: 3 });
      expect(got.read).toBe(items.length);
      expect(got.inputs).toEqual(items.map((i) => i.input));
      expect(got.outcomes.map(summary)).toEqual(expected.map(summary));
    }
  }, 60_000);

  it('reads at most `window` messages ahead of the one the corpus waits for', async () => {
    const items: SourceItem[] = Array.from({ length: 80 }, (_, i) => ({ kind: 'message', input: `in#${i}`, raw: post(i, `Seen.\n\n${ARGUS}`) }));
    const pulled = { n: 0 };
    let delivered = 0;
    let ahead = 0;
    await feedInParallel(itemsOf(items, pulled), { workers: 2, settings: { keepMail: false, keepQuestions: false }, batchMessages: 2, window: 8 }, () => {
      delivered++;
      ahead = Math.max(ahead, pulled.n - delivered);
    });
    expect(delivered).toBe(80);
    expect(ahead).toBeLessThanOrEqual(8);
  }, 60_000);

  it('a worker that crashes or exits: the message it died on is an error naming the reason, the others are analysed as on one thread', async () => {
    const items: SourceItem[] = Array.from({ length: 24 }, (_, i) => ({
      kind: 'message' as const,
      input: `in#${i}`,
      raw: post(i, `Seen.\n\n${ARGUS}`, i === 5 ? 'X-Test-Fault: crash\n' : i === 14 ? 'X-Test-Fault: exit\n' : ''),
    }));
    const expected = (await inThread(items)).map(summary);
    expected[5] = 'error in#5: analysis stopped: worker crashed: injected crash in in#5';
    expected[14] = 'error in#14: analysis stopped: worker exited with code 7';
    const got = await parallel(items, { workerUrl: FAULTY, batchMessages: 4 });
    expect(got.outcomes.map(summary)).toEqual(expected);
  }, 60_000);

  it('a worker that hangs is stopped after the batch timeout and the run goes on', async () => {
    const items: SourceItem[] = Array.from({ length: 6 }, (_, i) => ({
      kind: 'message' as const,
      input: `in#${i}`,
      raw: post(i, `Seen.\n\n${ARGUS}`, i === 2 ? 'X-Test-Fault: hang\n' : ''),
    }));
    const expected = (await inThread(items)).map(summary);
    expected[2] = 'error in#2: analysis stopped: did not finish within 2 s; its worker was stopped';
    const got = await parallel(items, { workerUrl: FAULTY, batchMessages: 3, workers: 1, batchTimeoutMs: 2000 });
    expect(got.outcomes.map(summary)).toEqual(expected);
  }, 60_000);

  it('no worker can start: the messages are analysed on this thread and the caller is told', async () => {
    const items: SourceItem[] = Array.from({ length: 10 }, (_, i) => ({ kind: 'message', input: `in#${i}`, raw: post(i, `Seen.\n\n${ARGUS}`) }));
    const reasons: string[] = [];
    const got = await parallel(items, { workerUrl: BROKEN, onFallback: (r) => reasons.push(r) });
    expect(got.outcomes.map(summary)).toEqual((await inThread(items)).map(summary));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('this worker cannot start');
  }, 60_000);
});

describe('listwatch analyze --jobs 2 (bin/listwatch.js)', () => {
  const run = promisify(execFile);

  it('rejects a bad number', async () => {
    await expect(run('node', ['bin/listwatch.js', 'analyze', '--jobs', '0', 'fixtures/seed'], { cwd: ROOT })).rejects.toMatchObject({ code: 2 });
  }, 60_000);

  it('Ctrl-C while workers run: the process ends on SIGINT and the temp files are gone', async () => {
    const tmp = mkdtempSync(join(work, 'tmp-'));
    const big = join(work, 'big.mbox');
    await writeArchive(big, 3000, 7, DEFAULT_SHAPE);
    const child = spawn('node', ['bin/listwatch.js', 'analyze', '--format', 'json', '--jobs', '2', big], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // wait for the spill's files (its signal handlers are installed by then: the folder alone
    // appears a moment before them, and a busy machine can stop the process in that moment), then interrupt
    const spillFiles = (): string[] => readdirSync(tmp).filter((d) => d.startsWith('listwatch-analyze-')).flatMap((d) => readdirSync(join(tmp, d)));
    while (spillFiles().length === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const end = await ended;
    expect(end.signal).toBe('SIGINT');
    // (tsx, when the bundle cannot be built, keeps its own cache folder there)
    expect(readdirSync(tmp).filter((d) => d.startsWith('listwatch-'))).toEqual([]);
    expect(stderr).not.toContain('no worker thread could start');
    expect(existsSync(big)).toBe(true);
  }, 120_000);
});
