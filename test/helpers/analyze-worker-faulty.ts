// A worker for test/analyze-parallel.test.ts: the real analysis worker (serveBatches + analyzeBatch),
// except that it dies or hangs when a batch holds a message with an `X-Test-Fault:` header, as a
// worker would on a bug that kills its thread (crash: an uncaught error; exit: process.exit in the
// thread; hang: an endless loop).
import { workerData } from 'node:worker_threads';
import { analyzeBatch, serveBatches, type WorkerSettings } from '../../src/analyze/parallel-message.js';

const settings = (workerData as { listwatchAnalyzeWorker: WorkerSettings }).listwatchAnalyzeWorker;

serveBatches(settings, async (job) => {
  for (const m of job.messages) {
    const fault = /^X-Test-Fault: (\w+)$/m.exec(Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength).toString('latin1'))?.[1];
    if (fault === 'crash') throw new Error(`injected crash in ${m.input}`);
    if (fault === 'exit') process.exit(7);
    if (fault === 'hang') for (;;);
  }
  return analyzeBatch(job, settings);
});
