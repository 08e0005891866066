// `analyze --jobs N`: parseMail and analyzePost in N-1 worker threads while the main thread reads
// the input and feeds the corpus. The outcomes come back in whatever order the workers finish and
// are handed on strictly in input order, so the document is the same bytes as with one thread.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SourceItem } from '../source/index.js';
import { analyzeMessage, type MessageOutcome, type WorkerBatch, type WorkerReply, type WorkerSettings } from './parallel-message.js';

export interface ParallelOptions {
  /** worker threads (at least 1) */
  workers: number;
  settings: WorkerSettings;
  /** a batch not answered within this time: its worker is stopped and its messages retried one by one (default 60 s) */
  batchTimeoutMs?: number;
  /** messages per batch sent to a worker (default 16) and raw bytes per batch (default 1 MB; a larger message goes alone) */
  batchMessages?: number;
  batchBytes?: number;
  /** messages read ahead of the one the corpus waits for (default 64 per worker, at least 4 batches) */
  window?: number;
  /** the worker module (tests start one that misbehaves); default the bundle's parallel-worker.js or, under tsx, parallel-worker.ts */
  workerUrl?: URL;
  /** told when workers cannot be started and the messages are analysed on the main thread instead */
  onFallback?: (reason: string) => void;
}

interface Job {
  seq: number;
  input: string;
  raw: Buffer;
  bytes: number;
}

interface Batch {
  id: number;
  jobs: Job[];
  /** a batch of one message that is being retried after its worker failed */
  isolated: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** batches sent and not answered, in the order the worker takes them */
  outstanding: Batch[];
  timer: NodeJS.Timeout | null;
  /** why the worker failed, from its 'error' event, for the 'exit' that follows */
  failure: string | null;
  gone: boolean;
}

/** batches a worker holds at once: the one it works on and the next, so it never waits for the main thread */
const BATCHES_PER_WORKER = 2;

/**
 * Runs every item through parseMail + analyzePost on worker threads and calls `deliver` for each
 * in input order. Raw messages are copied once into their own ArrayBuffer and transferred (the
 * main thread keeps its Buffer until the answer arrives, to retry the message if the worker dies).
 * At most `window` messages are read ahead of the next one delivered. A worker that crashes or
 * does not answer within batchTimeoutMs is stopped and replaced; the messages of the batch it was
 * working on are retried one at a time, and a message that fails alone is recorded as an error
 * naming the reason. If no worker can be started the messages are analysed on the main thread.
 * Returns the number of items read.
 */
export async function feedInParallel(
  items: AsyncIterable<SourceItem>,
  opts: ParallelOptions,
  deliver: (outcome: MessageOutcome, input: string) => void,
): Promise<number> {
  const pool = new Pool(opts, deliver);
  try {
    for await (const item of items) {
      pool.take(item);
      await pool.roomToRead();
    }
    await pool.finish();
    return pool.read;
  } finally {
    await pool.close();
  }
}

class Pool {
  read = 0;
  private nextSeq = 0;
  private nextDeliver = 0;
  private nextBatchId = 0;
  private readonly results = new Map<number, { input: string; outcome: MessageOutcome }>();
  /** messages handed to workers (or the main thread) and not answered yet, by sequence number */
  private readonly open = new Map<number, Job>();
  private filling: Job[] = [];
  private fillingBytes = 0;
  private readonly queued: Batch[] = [];
  private readonly slots: Slot[] = [];
  private waiters: (() => void)[] = [];
  private fatal: unknown = null;
  private inThread = false;
  private readonly jobOptions: { sinceMs?: number };
  private local: Promise<void> = Promise.resolve();
  private readonly batchMessages: number;
  private readonly batchBytes: number;
  private readonly window: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly opts: ParallelOptions,
    private readonly deliver: (outcome: MessageOutcome, input: string) => void,
  ) {
    this.batchMessages = Math.max(1, opts.batchMessages ?? 16);
    this.batchBytes = opts.batchBytes ?? 1024 * 1024;
    this.window = Math.max(opts.window ?? 64 * opts.workers, 4 * this.batchMessages);
    this.timeoutMs = opts.batchTimeoutMs ?? 60_000;
    this.jobOptions = opts.settings.sinceMs === undefined ? {} : { sinceMs: opts.settings.sinceMs };
    try {
      for (let i = 0; i < Math.max(1, opts.workers); i++) this.slots.push(this.spawn());
    } catch (err) {
      this.fallBack(`worker crashed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  take(item: SourceItem): void {
    this.read++;
    const seq = this.nextSeq++;
    if (item.kind === 'error') {
      this.settle(seq, item.input, { kind: 'error', error: { input: item.input, message: item.message } });
      return;
    }
    const job: Job = { seq, input: item.input, raw: item.raw, bytes: item.raw.length };
    this.open.set(seq, job);
    if (this.inThread) {
      this.runLocally(job);
      return;
    }
    if (this.filling.length > 0 && this.fillingBytes + job.bytes > this.batchBytes) this.flush();
    this.filling.push(job);
    this.fillingBytes += job.bytes;
    if (this.filling.length >= this.batchMessages) this.flush();
  }

  /** resolves when fewer than `window` messages are read and not yet delivered */
  async roomToRead(): Promise<void> {
    while (this.fatal === null && this.nextSeq - this.nextDeliver >= this.window) await this.progress();
    if (this.fatal !== null) throw this.fatal;
  }

  async finish(): Promise<void> {
    this.flush();
    while (this.fatal === null && this.nextDeliver < this.nextSeq) await this.progress();
    if (this.fatal !== null) throw this.fatal;
  }

  async close(): Promise<void> {
    for (const s of this.slots) this.retire(s);
    await Promise.all(this.slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private flush(): void {
    if (this.filling.length === 0) return;
    this.queued.push({ id: this.nextBatchId++, jobs: this.filling, isolated: false });
    this.filling = [];
    this.fillingBytes = 0;
    this.pump();
  }

  /** hands queued batches to the workers with room, the least busy first */
  private pump(): void {
    while (this.queued.length > 0 && !this.inThread) {
      let best: Slot | null = null;
      for (const s of this.slots) {
        if (s.gone || s.outstanding.length >= BATCHES_PER_WORKER) continue;
        if (!best || s.outstanding.length < best.outstanding.length) best = s;
      }
      if (!best) return;
      this.send(best, this.queued.shift()!);
    }
  }

  private send(slot: Slot, batch: Batch): void {
    const transfer: ArrayBuffer[] = [];
    const messages = batch.jobs.map((j) => {
      const raw = new Uint8Array(j.raw);
      transfer.push(raw.buffer);
      return { seq: j.seq, input: j.input, raw };
    });
    const msg: WorkerBatch = { batch: batch.id, messages };
    slot.outstanding.push(batch);
    slot.worker.postMessage(msg, transfer);
    if (slot.outstanding.length === 1 && slot.ready) this.arm(slot);
  }

  /** the watchdog for the batch a worker is working on */
  private arm(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const head = slot.outstanding[0];
    // a worker's start-up (loading its modules) is not the batch's time
    if (!head || !slot.ready) return;
    slot.timer = setTimeout(() => {
      // an answer already queued on the port is taken first (poll phase before check phase)
      setImmediate(() => {
        if (!slot.gone && slot.outstanding[0] === head) {
          void slot.worker.terminate();
          this.fail(slot, `did not finish within ${Math.round(this.timeoutMs / 1000)} s; its worker was stopped`);
        }
      });
    }, this.timeoutMs);
    slot.timer.unref();
  }

  private spawn(): Slot {
    const worker = startWorker(this.opts.workerUrl, this.opts.settings);
    const slot: Slot = { worker, ready: false, outstanding: [], timer: null, failure: null, gone: false };
    worker.on('message', (msg: WorkerReply | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        this.arm(slot);
        return;
      }
      this.answered(slot, msg);
    });
    worker.on('error', (err) => {
      slot.failure = `worker crashed: ${err instanceof Error ? err.message : String(err)}`;
    });
    worker.on('exit', (code) => {
      if (!slot.gone) this.fail(slot, slot.failure ?? `worker exited with code ${code}`);
    });
    return slot;
  }

  private answered(slot: Slot, reply: WorkerReply): void {
    const at = slot.outstanding.findIndex((b) => b.id === reply.batch);
    if (at < 0) return;
    const [batch] = slot.outstanding.splice(at, 1);
    batch!.jobs.forEach((j, i) => this.settle(j.seq, j.input, reply.outcomes[i]!));
    if (at === 0) this.arm(slot);
    this.pump();
  }

  private fail(slot: Slot, reason: string): void {
    if (slot.gone) return;
    const startedFine = slot.ready;
    this.retire(slot);
    const [head, ...notStarted] = slot.outstanding;
    slot.outstanding = [];
    this.queued.unshift(...notStarted);
    if (head) {
      if (head.isolated) {
        const j = head.jobs[0]!;
        this.settle(j.seq, j.input, { kind: 'error', error: { input: j.input, message: `analysis stopped: ${reason}` } });
      } else {
        // which message it was is not known: each is tried again alone
        this.queued.unshift(...head.jobs.map((j) => ({ id: this.nextBatchId++, jobs: [j], isolated: true })));
      }
    }
    if (!startedFine) {
      this.fallBack(reason);
      return;
    }
    try {
      this.slots[this.slots.indexOf(slot)] = this.spawn();
    } catch (err) {
      this.fallBack(`worker crashed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.pump();
  }

  private retire(slot: Slot): void {
    slot.gone = true;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
  }

  /** no worker could start: every message not answered yet is analysed here, in order */
  private fallBack(reason: string): void {
    if (this.inThread) return;
    this.inThread = true;
    this.opts.onFallback?.(reason);
    for (const s of this.slots) {
      this.retire(s);
      void s.worker.terminate();
      s.outstanding = [];
    }
    this.queued.length = 0;
    // open holds every message read and not answered, the batch being filled too
    const rest = [...this.open.values()].sort((a, b) => a.seq - b.seq);
    this.filling = [];
    this.fillingBytes = 0;
    for (const j of rest) this.runLocally(j);
  }

  private runLocally(job: Job): void {
    this.local = this.local.then(async () => {
      const outcome = await analyzeMessage(job.raw, job.input, this.jobOptions);
      this.settle(job.seq, job.input, outcome);
    });
  }

  /** records an outcome and delivers every outcome that is next in input order */
  private settle(seq: number, input: string, outcome: MessageOutcome): void {
    if (seq < this.nextDeliver || this.results.has(seq)) return;
    this.open.delete(seq);
    this.results.set(seq, { input, outcome });
    try {
      for (let r = this.results.get(this.nextDeliver); r; r = this.results.get(this.nextDeliver)) {
        this.results.delete(this.nextDeliver);
        this.nextDeliver++;
        this.deliver(r.outcome, r.input);
      }
    } catch (err) {
      // the corpus failed (a full disk): the run ends with that error
      this.fatal ??= err;
    }
    this.wake();
  }
}

/** a worker running parallel-worker from the bundle next to this code, or from the sources through tsx */
function startWorker(url: URL | undefined, settings: WorkerSettings): Worker {
  const here = import.meta.url;
  const fromSources = here.endsWith('.ts');
  const entry = url ?? new URL(fromSources ? './parallel-worker.ts' : './parallel-worker.js', here);
  const workerData = { listwatchAnalyzeWorker: settings };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  // tsx's loader is registered per thread: the worker registers it before importing the .ts entry
  const tsxApi = tsxEsmApi(here);
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** tsx's ESM register API, by its package's exports map (require.resolve would give the CommonJS build, which cannot register from a worker's eval) */
function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = require('tsx/package.json') as { exports: Record<string, { import?: { default?: string } }> };
  const file = pkg.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return new URL(file, pathToFileURL(pkgPath)).href;
}
