// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time and inclusive time per function,
// with file and line, largest first. `node --import tsx bench/profile.ts FILE.cpuprofile [top]`
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  fn: string;
  selfMs: number;
  totalMs: number;
  selfShare: number;
  totalShare: number;
}

/**
 * Self time per source file (or package), largest first. Time in Node internals and natives (streams,
 * RegExp, JSON) goes to the nearest caller in src/, bench/ or a package, so each module owns what it asks for.
 */
export function byFile(path: string): Array<{ file: string; selfMs: number; share: number }> {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = (n: Node): string | null => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    if (url.includes('node_modules/')) return url.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1');
    if (url.includes('/src/') || url.includes('/bench/')) return url.replace(/^.*\/((?:src|bench)\/.*)$/, '$1');
    return null;
  };
  const self = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const us = p.timeDeltas[i] ?? 0;
    all += us;
    let file: string | null = null;
    if (['(garbage collector)', '(idle)', '(program)', '(root)'].includes(n.callFrame.functionName)) file = n.callFrame.functionName;
    for (let cur: number | undefined = n.id; !file && cur !== undefined; cur = parent.get(cur)) file = owner(byId.get(cur)!);
    file ??= 'node internals (no caller of ours on the stack)';
    self.set(file, (self.get(file) ?? 0) + us);
  }
  return [...self].map(([file, us]) => ({ file, selfMs: us / 1000, share: us / all })).sort((a, b) => b.selfMs - a.selfMs);
}

export function summarize(path: string): { totalMs: number; rows: ProfileRow[] } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const label = (n: Node): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfUs) {
    all += us;
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    // inclusive: count each function once per sample stack
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + us);
    }
  }
  const rows = [...total.keys()].map((fn) => ({
    fn,
    selfMs: (self.get(fn) ?? 0) / 1000,
    totalMs: total.get(fn)! / 1000,
    selfShare: (self.get(fn) ?? 0) / all,
    totalShare: total.get(fn)! / all,
  }));
  return { totalMs: all / 1000, rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const top = Number(process.argv[3] ?? 25);
  if (process.argv.includes('--by-file')) {
    for (const r of byFile(process.argv[2]!).slice(0, top)) process.stdout.write(`${(r.share * 100).toFixed(1).padStart(5)}% ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.file}\n`);
    process.exit(0);
  }
  const { totalMs, rows } = summarize(process.argv[2]!);
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(`total ${totalMs.toFixed(0)} ms\n-- self\n`);
  for (const r of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) process.stdout.write(`${pct(r.selfShare)} ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.fn}\n`);
  process.stdout.write('-- inclusive\n');
  for (const r of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) process.stdout.write(`${pct(r.totalShare)} ${r.totalMs.toFixed(0).padStart(7)} ms  ${r.fn}\n`);
}
