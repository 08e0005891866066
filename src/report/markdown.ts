// The same report as Markdown, ready to paste into a ticket.

import type { AnalysisResult } from '../analyze/types.js';
import { buildView, findingTitle, roleText, type RecordLine } from './view.js';

const VERDICT = { 'ruled-out': 'Ruled out', supported: 'Supported', possible: 'Possible' } as const;

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function inline(s: string): string {
  // keep untrusted text from becoming markup, while leaving ?> and A_RPA readable
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/([\\`*[\]|])/g, '\\$1')
    .replace(/(^|\W)_|_(?=\W|$)/g, (m) => m.replace('_', '\\_'))
    .replace(/^([>#+-])/, '\\$1');
}

function recordTable(records: readonly RecordLine[]): string[] {
  const out = ['| time | class | flow | flags | family | id |', '|---|---|---|---|---|---|'];
  for (const r of records) {
    out.push(`| ${cell(r.time)} | ${cell(r.cls)} | \`${cell(r.flow)}\` | \`${cell(r.flags || ' ')}\` | ${cell(r.family)} | \`${cell(r.id)}\`${r.quoted ? ' (quoted)' : ''} |`);
  }
  return out;
}

export function renderMarkdown(result: AnalysisResult, opts?: { showTargets?: boolean }): string {
  const view = buildView(result, { showTargets: opts?.showTargets === true });
  const out: string[] = [];
  out.push('# listwatch report', '');
  out.push(
    `${view.postCount} post${view.postCount === 1 ? '' : 's'} · ${view.observationCount} observation${view.observationCount === 1 ? '' : 's'}` +
      `${view.duplicateCount ? ` (${view.duplicateCount} re-quoted, counted once)` : ''} · ${view.findings.length} finding${view.findings.length === 1 ? '' : 's'}`,
    '',
  );
  out.push('## Findings', '');
  if (view.findings.length === 0) out.push('No findings.', '');
  for (const fv of view.findings) {
    const f = fv.finding;
    out.push(`### ${fv.index}. ${inline(findingTitle(f))}`, '');
    out.push(inline(f.summary), '');
    out.push('| | |', '|---|---|');
    out.push(`| id | \`${f.id}\` |`);
    out.push(`| reporters | ${cell(f.reporters.join(', ') || 'none named')} |`);
    if (f.corroborating.length > 0) out.push(`| corroborating | ${cell(f.corroborating.map((c) => `${c.org} (post \`${c.post}\`)`).join(', '))} |`);
    out.push(`| first | ${cell(f.first ?? '?')} |`, `| last | ${cell(f.last ?? '?')} |`);
    if (f.kind !== 'same-traffic') out.push(`| actors | ${cell(roleText(fv.role, f))} |`);
    out.push('');
    for (const c of f.corroborating) out.push(`> ${inline(c.quote)}`, `> — ${inline(c.org)}`, '');
    out.push('**Evidence**', '');
    for (const e of fv.evidence) out.push(`- \`${e.id}\` (${e.cls}${e.more ? `, like ${e.more} more` : ''}): ${inline(e.text)}`);
    out.push('', ...recordTable(fv.records), '');
    if (fv.recordsOmitted > 0) out.push(`… and ${fv.recordsOmitted} more records (all listed in the JSON document).`, '');
  }
  if (view.others.length > 0) {
    out.push('## Other observations', '', ...recordTable(view.others), '');
    if (view.othersOmitted > 0) out.push(`… and ${view.othersOmitted} more (all listed in the JSON document).`, '');
  }
  if (view.duplicates.length > 0) {
    out.push(`Re-quoted copies counted once: ${view.duplicates.slice(0, 50).map((d) => `\`${d.id}\` = \`${d.of}\``).join(', ')}${view.duplicates.length > 50 ? ` and ${view.duplicates.length - 50} more` : ''}.`, '');
  }
  for (const q of view.questions) {
    out.push(q.texts.length > 0 ? `## The open question: ${q.texts.map((t) => `“${inline(t)}”`).join(' ')}` : '## What the evidence says', '');
    if (q.askedIn.length > 0) out.push(`Asked in ${q.askedIn.map((p) => `\`${p}\``).join(', ')}.`, '');
    if (q.findings.length === 0) out.push('No finding in this thread has explanations to weigh.', '');
    for (const w of q.findings) {
      out.push(`**Finding ${w.index}** (${w.finding.behaviour} from ${w.finding.actorPrefix}${w.finding.sport === undefined ? '' : ` port ${w.finding.sport}`}${w.finding.dport === null ? '' : ` to port ${w.finding.dport}`}):`, '');
      for (const h of w.hypotheses) out.push(`- **${VERDICT[h.verdict]}:** ${inline(h.name)}: ${inline(h.why)}`);
      out.push('', `**Conclusion:** ${inline(w.conclusion)}`, '');
    }
  }
  if (view.errors.length > 0) {
    out.push('## Errors', '');
    for (const e of view.errors) out.push(`- \`${cell(e.input)}\`: ${inline(e.message)}`);
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
