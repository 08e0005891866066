const REPLY_PREFIX = /^(?:re|aw|sv|antw|vs)(?:\[\d{1,4}\]|\(\d{1,4}\))?[ \t]{0,4}:[ \t]*/i;
const LIST_TAG = /^\[[^\][\r\n]{1,64}\][ \t]*/;

/** `Subject` of a reply: exactly one `Re:` in front, list tags kept, whitespace tidied. */
export function normalizeReplySubject(subject: string | null | undefined): string {
  let s = String(subject ?? '')
    .slice(0, 998)
    .replace(/[\r\n\t]+/g, ' ')
    .trim();
  const tags: string[] = [];
  for (let i = 0; i < 20; i++) {
    const re = REPLY_PREFIX.exec(s);
    if (re) {
      s = s.slice(re[0].length);
      continue;
    }
    const tag = LIST_TAG.exec(s);
    if (tag) {
      tags.push(tag[0].trim());
      s = s.slice(tag[0].length);
      continue;
    }
    break;
  }
  const rest = [...new Set(tags), s].filter((x) => x.length > 0).join(' ');
  return rest ? `Re: ${rest}` : 'Re: your post';
}
