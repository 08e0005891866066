import ipaddr from 'ipaddr.js';
import type { Observation } from '../contract.js';
import { maskTo24 } from '../correlate/prefix.js';
import type { Store, StoredFinding } from '../store/store.js';
import { ipv4Number } from '../store/store.js';

const MAX_LIST = 15;

/** The reporter's own address (the target) only as its /24 unless showTargets. */
function hideTarget(o: Observation, addr: string | null, showTargets: boolean): string | null {
  return addr && !showTargets && addr === o.target ? maskTo24(addr) : addr;
}

function flowLine(o: Observation, showTargets = false): string {
  const end = (a: string | null, p: number | null): string => {
    const shown = hideTarget(o, a, showTargets);
    return shown ? (p !== null ? `${shown}:${p}` : shown) : '?';
  };
  return `${o.proto ?? '?'} ${end(o.src, o.sport)} ${o.dir ?? '->'} ${end(o.dst, o.dport)}`;
}

function who(o: Observation): string {
  return o.reporter.org ?? o.reporter.address ?? o.reporter.name ?? 'unknown reporter';
}

/** `#listwatch explain <id>`: one observation, where it came from and why it got its class. */
export function explainObservation(store: Store, idOrPrefix: string, showTargets = false): string {
  let obs = store.observation(idOrPrefix);
  if (!obs) {
    const candidates = idOrPrefix.length >= 4 ? store.observationsByIdPrefix(idOrPrefix, 6) : [];
    if (candidates.length === 1) obs = candidates[0]!;
    else if (candidates.length > 1) {
      return [`"${idOrPrefix}" matches more than one observation; say which:`, ...candidates.map((c) => `  ${c.id}  ${flowLine(c)}`)].join('\n');
    }
  }
  if (!obs) return `No observation "${idOrPrefix}" is known. Observation ids appear in the thread analysis (#listwatch analyze).`;
  const post = store.postRow(obs.post);
  const lines = [
    `Observation ${obs.id}`,
    `  post:      <${obs.post}>${post?.subject ? ` "${post.subject}"` : ''}, line ${obs.line}`,
    `  reporter:  ${who(obs)}${obs.quoted ? ' (quoted by a later post)' : ''}${obs.duplicateOf ? `, a copy of ${obs.duplicateOf}` : ''}`,
    `  record:    ${obs.source} ${obs.format}${obs.time ? `, ${obs.time}` : ''}`,
    `  flow:      ${flowLine(obs, showTargets)}`,
  ];
  if (obs.srcPkts !== null || obs.dstPkts !== null) {
    lines.push(`  counts:    ${obs.srcPkts ?? '?'} pkts / ${obs.srcBytes ?? '?'} bytes from the source, ${obs.dstPkts ?? '?'} pkts / ${obs.dstBytes ?? '?'} bytes back${obs.totalsOnly ? ' (totals only)' : ''}`);
  }
  if (obs.srcFlags || obs.dstFlags || obs.state) {
    lines.push(`  flags:     ${obs.srcFlags ?? '-'} / ${obs.dstFlags ?? '-'}${obs.state ? `, state ${obs.state}` : ''}`);
  }
  if (obs.signature) {
    const s = obs.signature;
    lines.push(`  signature: ${[s.id ? `[${s.id}${s.rev !== undefined ? `:${s.rev}` : ''}]` : '', s.message ?? '', s.classification ? `(${s.classification})` : ''].filter(Boolean).join(' ')}`);
  }
  if (obs.payload) lines.push(`  payload:   ${obs.payload.bytes} bytes${obs.payload.strings.length ? `, strings ${obs.payload.strings.slice(0, 6).map((x) => JSON.stringify(x)).join(' ')}` : ''}`);
  lines.push(`  class:     ${obs.class}${obs.family ? `, family ${obs.family}` : ''}`);
  lines.push(`  actor:     ${obs.actor ?? '-'}   target: ${hideTarget(obs, obs.target, showTargets) ?? '-'}`);
  lines.push(`  why:       ${obs.evidence}`);
  const findings = store.findingsByKeys(store.findingKeysOfGroups(store.groupKeysOfObservations([obs.id]))).filter((f) => f.finding.observations.includes(obs!.id));
  if (findings.length) {
    lines.push('', 'Part of:');
    for (const f of findings.slice(0, MAX_LIST)) lines.push(`  ${findingLine(f)}`);
  }
  return lines.join('\n');
}

function findingLine(f: StoredFinding): string {
  const x = f.finding;
  return `${x.id} ${x.kind}: ${x.summary} (reporters ${x.reporters.join(', ') || '-'}; first seen ${f.firstDay}, last ${f.lastDay})`;
}

/** Parses `130.67.0.0/16`, `130.67/16`, `130.67.240.225`. */
export function parsePrefix(text: string): { kind: 'v4'; first: number; last: number; label: string } | { kind: 'exact'; value: string; label: string } | null {
  const t = text.trim().replace(/[.,;]+$/, '');
  if (t.length > 64) return null;
  const m = /^(\d{1,3}(?:\.\d{1,3}){0,3})(?:\/(\d{1,2}))?$/.exec(t);
  if (m) {
    const octets = m[1]!.split('.').map(Number);
    if (octets.some((o) => o > 255)) return null;
    const given = octets.length;
    while (octets.length < 4) octets.push(0);
    const bits = m[2] !== undefined ? Number(m[2]) : given * 8;
    if (bits > 32) return null;
    const base = ipv4Number(octets.join('.'))!;
    const size = 2 ** (32 - bits);
    const first = Math.floor(base / size) * size;
    const net = `${(first >>> 24) & 255}.${(first >>> 16) & 255}.${(first >>> 8) & 255}.${first & 255}`;
    return { kind: 'v4', first, last: first + size - 1, label: bits === 32 ? net : `${net}/${bits}` };
  }
  try {
    if (t.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(t);
      return { kind: 'exact', value: addr.toString(), label: `${addr.toString()}/${bits}` };
    }
    if (ipaddr.isValid(t)) return { kind: 'exact', value: ipaddr.parse(t).toString(), label: t };
  } catch {
    return null;
  }
  return null;
}

/** `#listwatch correlate <prefix>`: what the stored history says about actors in a prefix. */
export function correlatePrefix(store: Store, text: string): string {
  const prefix = parsePrefix(text);
  if (!prefix) return `"${text.slice(0, 64)}" is not an address or prefix (try 130.67.0.0/16 or 130.67.240.225).`;
  const obs = prefix.kind === 'v4' ? store.observationsByActorRange(prefix.first, prefix.last) : store.observationsByActor(prefix.value);
  if (obs.length === 0) return `Nothing in the history has an actor in ${prefix.label}.`;
  const orgs = new Set<string>();
  const posts = new Map<string, number>();
  const classes = new Map<string, number>();
  const ports = new Map<string, number>();
  const actors = new Set<string>();
  let first: { iso: string; ms: number } | null = null;
  let last: { iso: string; ms: number } | null = null;
  let unattributed = 0;
  for (const o of obs) {
    if (o.duplicateOf) continue;
    if (o.reporter.org) orgs.add(o.reporter.org);
    else unattributed++;
    posts.set(o.post, (posts.get(o.post) ?? 0) + 1);
    classes.set(o.class, (classes.get(o.class) ?? 0) + 1);
    const port = `${o.proto ?? '?'}/${o.dport ?? '?'}`;
    ports.set(port, (ports.get(port) ?? 0) + 1);
    if (o.actor) actors.add(o.actor);
    const ms = o.time ? Date.parse(o.time) : NaN;
    if (o.time && Number.isFinite(ms)) {
      if (!first || ms < first.ms) first = { iso: o.time, ms };
      if (!last || ms > last.ms) last = { iso: o.time, ms };
    }
  }
  const top = (m: Map<string, number>): string =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 8)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  const lines = [
    `History for ${prefix.label}: ${obs.length} observation(s)${obs.length >= 2000 ? ' (the newest 2000)' : ''} of ${actors.size} actor address(es), reported by ${orgs.size} organisation(s) in ${posts.size} post(s).`,
    `  reporters: ${[...orgs].sort().join(', ') || '-'}${unattributed ? ` (and ${unattributed} record(s) whose reporter is not known)` : ''}`,
    `  classes:   ${top(classes)}`,
    `  ports:     ${top(ports)}`,
  ];
  if (first && last) lines.push(`  seen:      ${first.iso} .. ${last.iso}`);
  const findings = store.findingsByKeys(store.findingKeysOfGroups(store.groupKeysOfObservations(obs.map((o) => o.id))));
  if (findings.length) {
    lines.push('', 'Findings:');
    for (const f of findings.slice(0, MAX_LIST)) lines.push(`  ${findingLine(f)}`);
  }
  lines.push('', 'Posts:');
  for (const id of [...posts.keys()].slice(0, MAX_LIST)) {
    const p = store.postRow(id);
    lines.push(`  <${id}>${p?.subject ? ` "${p.subject}"` : ''}${p ? `, ${p.day}` : ''}`);
  }
  if (posts.size > MAX_LIST) lines.push(`  ... and ${posts.size - MAX_LIST} more`);
  return lines.join('\n');
}
