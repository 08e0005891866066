// A full collection on demand inside a test: `gc` exposed at run time, as Jest's leak detector does
// (vitest's workers do not start with --expose-gc).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const fullGc = runInNewContext('gc') as () => void;

/** heapUsed after two full collections (the second frees what the first's finalizers let go). */
export function heapAfterGc(): number {
  fullGc();
  fullGc();
  return process.memoryUsage().heapUsed;
}
