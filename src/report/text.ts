// The plain-text report: readable in a minute. Findings with their evidence first, then the
// records no finding holds, then what the evidence says about the thread's open question.

import type { AnalysisResult } from '../analyze/types.js';
import { buildView, findingTitle, roleText, type RecordLine, type ReportView } from './view.js';

const VERDICT_WORD = { 'ruled-out': 'RULED OUT', supported: 'SUPPORTED', possible: 'POSSIBLE' } as const;

interface Paint {
  head: (s: string) => string;
  dim: (s: string) => string;
  verdict: (v: keyof typeof VERDICT_WORD, s: string) => string;
}

function paint(color: boolean): Paint {
  if (!color) return { head: (s) => s, dim: (s) => s, verdict: (_v, s) => s };
  const wrap = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
  const colors = { 'ruled-out': '31', supported: '32', possible: '33' } as const;
  return { head: wrap('1'), dim: wrap('2'), verdict: (v, s) => wrap(colors[v])(s) };
}

function recordText(r: RecordLine): string {
  return `${r.time}  ${r.cls.padEnd(20)}  ${r.flow}  ${r.flags}${r.family ? `  ${r.family}` : ''}  [${r.id}${r.quoted ? ', quoted' : ''}]`;
}

function wrapText(text: string, indent: string, width = 100): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent.length + line.length + 1 + w.length > width) {
      lines.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(indent + line);
  return lines;
}

export function renderView(view: ReportView, p: Paint): string {
  const out: string[] = [];
  out.push(
    p.head(
      `listwatch: ${view.postCount} post${view.postCount === 1 ? '' : 's'}, ${view.observationCount} observation${view.observationCount === 1 ? '' : 's'}` +
        `${view.duplicateCount ? ` (${view.duplicateCount} re-quoted, counted once)` : ''}, ${view.findings.length} finding${view.findings.length === 1 ? '' : 's'}`,
    ),
  );
  out.push('');
  if (view.findings.length > 0) {
    out.push(p.head('FINDINGS'));
    for (const fv of view.findings) {
      const f = fv.finding;
      out.push(p.head(`[${fv.index}] ${findingTitle(f)}`) + p.dim(`  (${f.id})`));
      out.push(...wrapText(f.summary, '    '));
      out.push(`    reporters:     ${f.reporters.join(', ') || 'none named'}`);
      for (const c of f.corroborating) {
        out.push(...wrapText(`corroborating: ${c.org} (post ${c.post}${c.via ? `, ${c.via} pass` : ''}): "${c.quote}"`, '    '));
      }
      out.push(`    first/last:    ${f.first ?? '?'}  …  ${f.last ?? '?'}`);
      if (f.kind !== 'same-traffic') out.push(`    actors:        ${roleText(fv.role, f)}`);
      out.push('    evidence:');
      for (const e of fv.evidence) {
        out.push(...wrapText(`${e.id} (${e.cls}${e.more ? `, like ${e.more} more` : ''}): ${e.text}`, '      '));
      }
      out.push('    records:');
      for (const r of fv.records) out.push(`      ${recordText(r)}`);
      if (fv.recordsOmitted > 0) out.push(`      … and ${fv.recordsOmitted} more (all listed in --format json)`);
      out.push('');
    }
  } else {
    out.push('No findings: nothing here is seen by two organisations, forms a campaign, or joins an alert to a flow.');
    out.push('');
  }
  if (view.others.length > 0) {
    out.push(p.head('OTHER OBSERVATIONS'));
    for (const r of view.others) out.push(`  ${recordText(r)}`);
    if (view.othersOmitted > 0) out.push(`  … and ${view.othersOmitted} more (all listed in --format json)`);
    out.push('');
  }
  if (view.duplicates.length > 0) {
    out.push(
      ...wrapText(
        `Re-quoted copies counted once: ${view.duplicates.slice(0, 20).map((d) => `${d.id}=${d.of}`).join(', ')}${view.duplicates.length > 20 ? ` and ${view.duplicates.length - 20} more` : ''}.`,
        '',
      ),
    );
    out.push('');
  }
  for (const q of view.questions) {
    out.push(p.head(q.texts.length > 0 ? `THE OPEN QUESTION: ${q.texts.map((t) => `"${t}"`).join(' ')}` : 'WHAT THE EVIDENCE SAYS'));
    if (q.askedIn.length > 0) out.push(p.dim(`  asked in ${q.askedIn.join(', ')}`));
    if (q.findings.length === 0) {
      out.push('  No finding in this thread has explanations to weigh.');
    }
    for (const w of q.findings) {
      out.push(`  Finding [${w.index}] (${w.finding.behaviour} from ${w.finding.actorPrefix}${w.finding.sport === undefined ? '' : ` port ${w.finding.sport}`}${w.finding.dport === null ? '' : ` to port ${w.finding.dport}`}):`);
      for (const h of w.hypotheses) {
        const head = `${p.verdict(h.verdict, VERDICT_WORD[h.verdict])}  ${h.name}: `;
        const lines = wrapText(`${VERDICT_WORD[h.verdict]}  ${h.name}: ${h.why}`, '    - ');
        // colour only the verdict word
        if (lines.length > 0) lines[0] = (lines[0] as string).replace(`${VERDICT_WORD[h.verdict]}  ${h.name}: `, head);
        out.push(...lines.map((l, i) => (i === 0 ? l : l.replace('    - ', '      '))));
      }
      out.push(...wrapText(`=> ${w.conclusion}`, '    '));
    }
    out.push('');
  }
  if (view.errors.length > 0) {
    out.push(p.head('ERRORS'));
    for (const e of view.errors) out.push(`  ${e.input}: ${e.message}`);
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

export function renderText(result: AnalysisResult, opts?: { showTargets?: boolean; color?: boolean }): string {
  const view = buildView(result, { showTargets: opts?.showTargets === true });
  return renderView(view, paint(opts?.color === true));
}
