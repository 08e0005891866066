// Reporters' own addresses (observation targets) as their /24: one masker for the digest, the
// bot's answers and the facts the LLM layer sends.
import { groupPrefix, maskTo24 } from '../correlate/prefix.js';

/**
 * An address as its /24 (IPv6: /64), by the engine's masker (broadcast and multicast stay as they
 * are); something that is not an address is not shown at all.
 */
export function prefix24(addr: string): string {
  return groupPrefix(addr) === null ? '(address withheld)' : maskTo24(addr);
}

/**
 * `text` with each standalone `target` (also as `addr.port` / `addr:port`) replaced by `masked`:
 * `192.0.2.1` but not inside `192.0.2.12` or `10.192.0.2.1`. Plain string search, no pattern.
 */
export function replaceAddress(text: string, target: string, masked: string): string {
  if (!target || !text.includes(target)) return text;
  const v6 = target.includes(':');
  const inside = v6 ? /[0-9A-Fa-f:]/ : /[0-9.]/;
  const after = v6 ? /[0-9A-Fa-f:]/ : /[0-9]/;
  let result = '';
  let from = 0;
  for (let at = text.indexOf(target); at !== -1; at = text.indexOf(target, at + 1)) {
    const before = at > 0 ? text[at - 1]! : '';
    const next = text[at + target.length] ?? '';
    const ipv4DotPort = !v6 && next === '.' && /[0-9]/.test(text[at + target.length + 1] ?? '');
    if ((before && inside.test(before)) || (next && after.test(next) && !ipv4DotPort)) continue;
    if (at < from) continue;
    result += text.slice(from, at) + masked;
    from = at + target.length;
  }
  return result + text.slice(from);
}
