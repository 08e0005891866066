// The digest as HTML: the same model as the text, every value escaped.
import type { DigestModel, DigestPostLink } from './digest.js';

export function escapeHtml(s: string | number | null | undefined): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An href we are willing to emit: http(s) archive URLs and mid: links to Message-IDs. */
function safeHref(url: string): string | null {
  return /^(https?:\/\/|mid:)[^\s"'<>]{1,2000}$/.test(url) ? escapeHtml(url) : null;
}

function postItem(p: DigestPostLink, when: (iso: string | null) => string | null): string {
  const subject = p.subject ? `\u201c${escapeHtml(p.subject)}\u201d` : '(post not in today\u2019s set)';
  const mid = safeHref(`mid:${encodeURIComponent(p.id)}`);
  const idHtml = mid ? `<a href="${mid}"><code>&lt;${escapeHtml(p.id)}&gt;</code></a>` : `<code>&lt;${escapeHtml(p.id)}&gt;</code>`;
  const archive = p.url ? safeHref(p.url) : null;
  const date = when(p.date);
  return (
    `<li>${subject} \u2014 ${escapeHtml(p.org ?? 'unknown organisation')}${date ? `, ${escapeHtml(date)}` : ''}<br>` +
    `${idHtml}${archive ? ` \u00b7 <a href="${archive}">archive</a>` : ''}</li>`
  );
}

export function renderDigestHtml(m: DigestModel, when: (iso: string | null) => string | null = (d) => d): string {
  const h: string[] = [];
  h.push('<!DOCTYPE html>', '<html><head><meta charset="utf-8">', `<title>listwatch digest ${escapeHtml(m.day)}</title></head>`);
  h.push('<body style="font-family: sans-serif; max-width: 52em">');
  h.push(`<h1>listwatch digest for ${escapeHtml(m.day)}</h1>`);
  h.push(`<p>${escapeHtml(m.headline)} <small>(times in ${escapeHtml(m.timeZone)})</small></p>`);
  let n = 0;
  for (const s of m.sections) {
    h.push(`<h2>${escapeHtml(s.title)}: ${s.items.length + s.more}</h2>`);
    for (const i of s.items) {
      n++;
      const head = [i.kind, i.behaviourWords, i.sport !== null ? `from port ${i.sport}` : null, i.dport !== null ? `port ${i.dport}` : null, i.family].filter(Boolean).join(', ');
      h.push(`<div id="finding-${escapeHtml(i.id)}">`);
      h.push(`<h3>[${n}] ${escapeHtml(head)}</h3>`);
      h.push(`<p><strong>${escapeHtml(i.actorLine)}</strong>${i.roleNote ? `<br><em>${escapeHtml(i.roleNote)}</em>` : ''}</p>`);
      const prose = [...new Set(i.corroborating.map((c) => c.org))];
      h.push(
        `<p>${i.orgCount} independent organisation${i.orgCount === 1 ? '' : 's'}: ${escapeHtml(i.reporters.join(', ') || 'none with own records')}` +
          (prose.length ? `; in prose: ${escapeHtml(prose.join(', '))}` : '') +
          '</p>',
      );
      if (i.corroborating.length > 0) {
        h.push('<ul>' + i.corroborating.slice(0, 3).map((c) => `<li>${escapeHtml(c.org)}: <q>${escapeHtml(c.quote)}</q></li>`).join('') + '</ul>');
      }
      const since = i.status !== 'new' ? `known since ${i.firstDay}` : null;
      const span = i.first || i.last ? `first ${i.first ?? '?'}, last ${i.last ?? '?'}` : null;
      if (span || since) h.push(`<p>${escapeHtml([span, since].filter(Boolean).join('; '))}</p>`);
      h.push(`<p>${escapeHtml(i.summary)}</p>`);
      if (i.narrative) h.push(`<p>${escapeHtml(i.narrative)}</p>`);
      h.push(`<p><small>finding ${escapeHtml(i.id)}</small></p>`);
      h.push('<ul>' + i.posts.map((p) => postItem(p, when)).join('') + (i.morePosts > 0 ? `<li>\u2026 and ${i.morePosts} more</li>` : '') + '</ul>');
      h.push('</div>');
    }
    if (s.more > 0) h.push(`<p>\u2026 and ${s.more} more (see the attached JSON)</p>`);
  }
  if (m.observationCount > 0) {
    h.push(`<h2>Today\u2019s records: ${m.observationCount}</h2>`);
    h.push('<table><tr><th align="left">class</th><th align="right">records</th></tr>');
    for (const [k, v] of m.classCounts) h.push(`<tr><td>${escapeHtml(k)}</td><td align="right">${v}</td></tr>`);
    h.push('</table>');
    if (m.familyCounts.length > 0) {
      h.push('<table><tr><th align="left">family</th><th align="right">records</th></tr>');
      for (const [k, v] of m.familyCounts) h.push(`<tr><td>${escapeHtml(k)}</td><td align="right">${v}</td></tr>`);
      h.push('</table>');
    }
  }
  if (m.topPrefixes.length > 0) {
    h.push('<h2>Prefixes seen by the most independent organisations</h2><ul>');
    for (const p of m.topPrefixes) {
      h.push(`<li><code>${escapeHtml(p.prefix)}</code>${p.role === 'common-victim' ? ' (common victim)' : ''}: ${p.orgs.length} (${escapeHtml(p.orgs.join(', '))})</li>`);
    }
    h.push('</ul>');
  }
  if (m.questions.length > 0) {
    h.push('<h2>Questions still unanswered</h2><ul>');
    for (const q of m.questions) {
      h.push(`<li><q>${escapeHtml(q.text)}</q>${q.post ? `<ul>${postItem(q.post, when)}</ul>` : ''}${q.narrative ? `<p>${escapeHtml(q.narrative)}</p>` : ''}</li>`);
    }
    h.push('</ul>');
  }
  if (m.failures.length > 0) {
    h.push('<h2>Mail the bot could not deliver</h2><ul>');
    for (const f of m.failures) h.push(`<li>${escapeHtml(f.at)} <code>${escapeHtml(f.cause)}</code>: ${escapeHtml(f.error)}</li>`);
    h.push('</ul>');
  }
  h.push('<hr><p><small>');
  if (!m.showTargets) h.push('Reporters\u2019 own addresses are shown as their /24. Posts marked TLP:AMBER or TLP:RED are left out. ');
  h.push('The day\u2019s listwatch.analysis/1 document is attached as JSON.</small></p>');
  if (m.llmFooter) h.push(`<p><small>${escapeHtml(m.llmFooter)}</small></p>`);
  h.push('</body></html>');
  return h.join('\n') + '\n';
}
