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
});
