// An alert and a flow record that describe the same traffic: same protocol, the same two
// address:port ends (either orientation), times within a few seconds, seen by the same reporter.

import type { Observation } from '../contract.js';

export const JOIN_WINDOW_MS = 5_000;

const ALERT_SOURCES = new Set(['snort', 'suricata']);
const FLOW_SOURCES = new Set(['argus', 'zeek', 'suricata']);

export function isAlertObservation(o: Observation): boolean {
  if (o.signature !== undefined) return true;
  // Suricata's eve.json also logs flow records: those carry counts for both sides and no signature
  return ALERT_SOURCES.has(String(o.source)) && !(o.srcPkts !== null && o.dstPkts !== null);
}

export function isFlowObservation(o: Observation): boolean {
  if (isAlertObservation(o)) return false;
  if (FLOW_SOURCES.has(String(o.source))) return true;
  return o.srcPkts !== null && o.dstPkts !== null;
}

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
  // Only flows that share an alert's 5-tuple can join: the alerts' keys are worked out first, so a
  // corpus of flows alone (or alerts alone) costs one pass and no key per record of the other kind.
  if (!obs.some(isFlowObservation)) return [];
  const alerts: Array<{ key: string; t: number; a: Observation }> = [];
  const alertKeys = new Set<string>();
  const alertAddrs = new Set<string>();
  for (const a of obs) {
    if (!isAlertObservation(a)) continue;
    const key = endpointKey(a);
    if (key === null) continue;
    const t = timeMs(a);
    if (t === null) continue;
    alerts.push({ key, t, a });
    alertKeys.add(key);
    alertAddrs.add((a.src as string).toLowerCase());
    alertAddrs.add((a.dst as string).toLowerCase());
  }
  if (alerts.length === 0) return [];
  const flowsByKey = new Map<string, Array<{ t: number; o: Observation }>>();
  for (const o of obs) {
    // the same key means the same two ends: a joinable flow's source is one of some alert's ends
    if (!o.src || !alertAddrs.has(o.src.toLowerCase()) || !isFlowObservation(o)) continue;
    const key = endpointKey(o);
    if (key === null || !alertKeys.has(key)) continue;
    const t = timeMs(o);
    if (t === null) continue;
    let list = flowsByKey.get(key);
    if (!list) flowsByKey.set(key, (list = []));
    list.push({ t, o });
  }
  if (flowsByKey.size === 0) return [];
  for (const list of flowsByKey.values()) list.sort((a, b) => a.t - b.t);

  const out: Array<{ alert: string; flow: string }> = [];
  for (const { key, t, a } of alerts) {
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

/** The alert's observation after joining: the flow's class, actor and target, and evidence naming the flow. */
export function applyJoin(alert: Observation, flow: Observation): Observation {
  const out: Observation = { ...alert };
  applyJoinInPlace(out, flow);
  return out;
}

/** applyJoin on the alert object itself (a large corpus keeps one object per observation). */
export function applyJoinInPlace(alert: Observation, flow: Observation): void {
  const at = timeMs(alert);
  const ft = timeMs(flow);
  const gap = at !== null && ft !== null ? `${(Math.abs(at - ft) / 1000).toFixed(1)} s apart` : 'at the same time';
  const what = alert.signature?.message ? `alert "${alert.signature.message}"` : 'the alert';
  const flowEvidence = flow.evidence.replace(/\.$/, '');
  // the alert's own evidence ends with its family reason or the cmd.exe note after '; '
  const cut = alert.evidence.indexOf('; ');
  const note = cut >= 0 ? alert.evidence.slice(cut + 2).replace(/\.$/, '') : '';
  const evidence =
    `Same traffic as flow record ${flow.id} (same ${flow.proto ?? 'protocol'} addresses and ports, ${gap}), ` +
    `so ${what} (${alertFlags(alert)}) takes its class ${flow.class}: ${flowEvidence}${note ? `; ${note}` : ''}.`;
  const family = alert.family ?? flow.family;
  alert.class = flow.class;
  alert.actor = flow.actor;
  alert.target = flow.target;
  alert.evidence = evidence;
  if (family !== undefined) alert.family = family;
}

function alertFlags(o: Observation): string {
  if (o.srcFlags === null) return 'no TCP flags printed';
  return o.srcFlags === '' ? 'a packet with no flags' : `one packet with flags ${o.srcFlags}`;
}
