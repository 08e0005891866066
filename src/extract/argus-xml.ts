// `ra -M xml` records: one <ArgusFlowRecord Name = "value" ...> element per flow, often spread
// over several lines by a mail client (the list archive example of [A6] in log-formats.md).
// Management records (<ArgusManagementRecord>) describe the probe and are skipped.

const MAX_XML_LINES = 8;
const MAX_XML_CHARS = 8192;
const ATTRIBUTE = /([A-Za-z][A-Za-z0-9]{0,31})\s*=\s*"([^"]{0,512})"/g;

export interface XmlRecord {
  kind: 'flow' | 'man';
  attrs: Map<string, string>;
  lineCount: number;
}

/** An XML record starting on lines[i], joined over the lines its start tag spans; null if none starts there. */
export function readXmlRecord(lines: readonly string[], i: number): XmlRecord | null {
  const first = lines[i] as string;
  const flow = first.includes('<ArgusFlowRecord');
  if (!flow && !first.includes('<ArgusManagementRecord')) return null;
  let text = first;
  let count = 1;
  // the start tag ends at the first '>' after the element name
  const tagEnd = (s: string) => s.indexOf('>', s.indexOf('<Argus') + 1);
  while (tagEnd(text) < 0 && count < MAX_XML_LINES && i + count < lines.length && text.length < MAX_XML_CHARS) {
    const next = lines[i + count] as string;
    if (next.includes('<Argus')) break;
    text += ` ${next.trim()}`;
    count += 1;
  }
  const end = tagEnd(text);
  if (end < 0) return null;
  const tag = text.slice(text.indexOf('<Argus'), end);
  const attrs = new Map<string, string>();
  for (const m of tag.matchAll(ATTRIBUTE)) attrs.set((m[1] as string).toLowerCase(), m[2] as string);
  return { kind: flow ? 'flow' : 'man', attrs, lineCount: count };
}
