// joinAlertsToFlows as it was before it skipped flows no alert can join (commit 65f2020): the
// reference test/classify-join.property.test.ts holds the faster version to.
import type { Observation } from '../../src/contract.js';
import { isAlertObservation, isFlowObservation, JOIN_WINDOW_MS } from '../../src/classify/join.js';

function reporterKey(o: Observation): string {
  return o.reporter.org ?? o.reporter.address ?? `post:${o.post}`;
}

function endpointKey(o: Observation): string | null {
  if (!o.src || !o.dst) return null;
  const a = `${o.src.toLowerCase()}:${o.sport ?? ''}`;
  const b = `${o.dst.toLowerCase()}:${o.dport ?? ''}`;
  const [x, y] = a < b ? [a, b] : [b, a];
  return `${(o.proto ?? '').toLowerCase()}|${x}|${y}|${reporterKey(o)}`;
}

function timeMs(o: Observation): number | null {
  if (!o.time) return null;
  const t = Date.parse(o.time);
  return Number.isFinite(t) ? t : null;
}

/** alert ↔ flow record of the same traffic: same proto, same addresses and ports (either orientation), times within 5 s. Index by 5-tuple: linear. */
export function joinAlertsToFlows(obs: readonly Observation[]): Array<{ alert: string; flow: string }> {
  const flowsByKey = new Map<string, Array<{ t: number; o: Observation }>>();
  for (const o of obs) {
    if (!isFlowObservation(o)) continue;
    const key = endpointKey(o);
    const t = timeMs(o);
    if (key === null || t === null) continue;
    let list = flowsByKey.get(key);
    if (!list) flowsByKey.set(key, (list = []));
    list.push({ t, o });
  }
  for (const list of flowsByKey.values()) list.sort((a, b) => a.t - b.t);

  const out: Array<{ alert: string; flow: string }> = [];
  for (const a of obs) {
    if (!isAlertObservation(a)) continue;
    const key = endpointKey(a);
    const t = timeMs(a);
    if (key === null || t === null) continue;
    const list = flowsByKey.get(key);
    if (!list) continue;
    // binary search for the first flow at or after t - window, then take the nearest in the window
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as { t: number }).t < t - JOIN_WINDOW_MS) lo = mid + 1;
      else hi = mid;
    }
    let best: { t: number; o: Observation } | undefined;
    let bestScore = Infinity;
    for (let i = lo; i < list.length; i++) {
      const f = list[i] as { t: number; o: Observation };
      if (f.t > t + JOIN_WINDOW_MS) break;
      // nearest in time; a flow from the same post and with the same duplicate status wins ties
      const score = Math.abs(f.t - t) * 4 + (f.o.post === a.post ? 0 : 2) + ((f.o.duplicateOf === undefined) === (a.duplicateOf === undefined) ? 0 : 1);
      if (score < bestScore) {
        bestScore = score;
        best = f;
      }
    }
    if (best) out.push({ alert: a.id, flow: best.o.id });
  }
  return out;
}

