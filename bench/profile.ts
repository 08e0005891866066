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
  const { totalMs, rows } = summarize(process.argv[2]!);
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(`total ${totalMs.toFixed(0)} ms\n-- self\n`);
  for (const r of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) process.stdout.write(`${pct(r.selfShare)} ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.fn}\n`);
  process.stdout.write('-- inclusive\n');
  for (const r of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) process.stdout.write(`${pct(r.totalShare)} ${r.totalMs.toFixed(0).padStart(7)} ms  ${r.fn}\n`);
}
