// A worker thread of `listwatch analyze --jobs N`: parses and analyses the raw messages the main
// thread sends, one batch at a time, in order, and sends each batch's outcomes back as one message.
// Started by src/analyze/parallel.ts from the esbuild bundle (dist/cli-*/parallel-worker.js) or,
// under tsx, from this file.
import { parentPort, workerData } from 'node:worker_threads';
import { serveBatches, type WorkerSettings } from './parallel-message.js';

const settings = (workerData as { listwatchAnalyzeWorker?: WorkerSettings } | null)?.listwatchAnalyzeWorker;
if (parentPort && settings) serveBatches(settings);
