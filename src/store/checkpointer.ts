// WAL checkpoints on a worker thread with its own connection, so no post's commit waits for one.
// A checkpoint copies the WAL's pages back into the database file and syncs it: with ~400 pages
// per post at 1,000,000 stored observations, SQLite's automatic checkpoint (every 10,000 pages)
// stalled every ~25th post for 0.1-1 s. A PASSIVE checkpoint on another connection runs while the
// bot's connection keeps appending to the WAL; SQLite restarts the WAL from its start once a
// checkpoint has copied everything and no reader needs the old frames.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// plain CommonJS evaluated in the worker (no file of its own, so the esbuild bundle needs nothing extra)
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
});
`;

export interface CheckpointResult {
  busy?: number;
  /** frames in the WAL when it ran */
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private running = false;
  private lastDone = 0;
  private closed = false;
  /** the last result, for tests and logs */
  last: CheckpointResult | null = null;

  constructor(
    path: string,
    /** the least time between two checkpoints while commits keep coming */
    private readonly minIntervalMs = 250,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
    // never keeps the process alive
    this.worker.unref();
    this.worker.on('message', (r: CheckpointResult) => {
      this.running = false;
      this.lastDone = Date.now();
      this.last = r;
    });
    this.worker.on('error', (err) => {
      this.running = false;
      this.last = { error: err.message };
      this.closed = true;
    });
  }

  /** Asks for a checkpoint unless one is running or one finished very recently; never waits. */
  poke(): void {
    if (this.closed || this.running || Date.now() - this.lastDone < this.minIntervalMs) return;
    this.running = true;
    this.worker.postMessage('run');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage('close');
  }

  /** true while the worker has not failed or been closed */
  get alive(): boolean {
    return !this.closed;
  }
}
