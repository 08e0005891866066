// End-to-end checks on real posts saved under fixtures/field/ (see SOURCES.md and FINDINGS.md there).
import { describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import { renderText } from '../src/report/text.js';

const field = (name: string): string => new URL(`../fixtures/field/${name}`, import.meta.url).pathname;

describe('field posts, whole pipeline', () => {
  it('github-netdata-2047: NetBIOS broadcasts to 255.255.255.255 are shown as such, not as a made-up /24', async () => {
    const { result } = await analyzeInputs([field('github-netdata-2047-iptables-udp137.txt')]);
    const text = renderText(result);
    expect(text).toContain('udp 192.168.9.10:137 -> 255.255.255.255:137');
    expect(text).not.toContain('255.255.255.0/24');
  });

  it('github-fail2ban-2481 and github-ipset-asus-51: SYNs and UDP the firewall logged as dropped got nothing back', async () => {
    const one = await analyzeInputs([field('github-fail2ban-2481-iptables-drop.txt')]);
    expect(one.result.doc.observations.map((o) => o.class)).toEqual(['syn-unanswered']);
    expect(one.result.doc.observations[0]?.evidence).toMatch(/logged as discarded: nothing could come back from 62\.113\.204\.249/);
    const five = await analyzeInputs([field('github-ipset-asus-51-iptables-masked.txt')]);
    // the PSH-ACK from 443 is as likely a late reply as a probe; the cut last line has no flags
    expect(five.result.doc.observations.map((o) => o.class)).toEqual(['syn-unanswered', 'syn-unanswered', 'udp-unanswered', 'unknown', 'unknown']);
  });

  it('github-fail2ban-2792: a SYN logged by a rule that does not drop stays undecided', async () => {
    const { result } = await analyzeInputs([field('github-fail2ban-2792-iptables-physin.txt')]);
    expect(result.doc.observations.map((o) => o.class)).toEqual(['unknown']);
  });
});

