// Real ra output (fixtures/argus/ra, made from a crafted pcap with one flow per class) through the
// real extractor and the classifier: the class each layout lets us decide.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../src/classify/classify.js';
import { extractRecords } from '../src/extract/index.js';

const PCAP_ORDER = [
  'established', 'syn-unanswered', 'syn-rejected', 'midstream-unanswered', 'midstream-reset', 'midstream-reset',
  'backscatter', 'backscatter', 'stealth-probe', 'stealth-probe', 'stealth-probe', 'stealth-probe',
  'udp-unanswered', 'udp-answered', 'icmp-echo-unanswered', 'icmp-echo-answered', 'udp-unanswered',
  'icmp-error', 'icmp-error', 'icmp-error',
];

function classesOf(file: string): string[] {
  const lines = readFileSync(new URL(`../fixtures/argus/ra/${file}`, import.meta.url), 'utf8').split('\n');
  return extractRecords(lines).records.map((r) => classifyRecord(r).class);
}

describe('real ra layouts', () => {
  it.each(['n-Zb.txt', 'fields-Zb.txt', 'csv-n-Zb.txt', 'no-header-n-Zb.txt', 'seed-like.txt', 'csv-long.txt', 'reordered.txt'])(
    '%s (-Zb flags): every class as crafted',
    (file) => {
      expect(classesOf(file)).toEqual(PCAP_ORDER);
    },
  );

  it.each(['default.txt', 'n.txt', 'totals.txt', 'z.txt'])('%s (state words): every class except the flagless probes, which stay unknown', (file) => {
    const want = PCAP_ORDER.map((c, i) => (i >= 9 && i <= 11 ? 'unknown' : c));
    expect(classesOf(file)).toEqual(want);
  });

  it('the seed records: A_RPA and A_R reset, the rest unanswered', () => {
    const lines = readFileSync(new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url), 'utf8').split('\n');
    const argus = extractRecords(lines).records.filter((r) => r.source === 'argus');
    const classes = argus.map((r) => classifyRecord(r).class);
    expect(classes).toHaveLength(11);
    expect(classes.filter((c) => c === 'midstream-unanswered')).toHaveLength(9);
    expect(classes.filter((c) => c === 'midstream-reset')).toHaveLength(2);
  });
});
