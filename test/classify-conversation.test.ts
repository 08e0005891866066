import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyConversations, mergePackets } from '../src/classify/conversation.js';
import type { ExtractedRecord } from '../src/extract/types.js';
import { extractRecords } from '../src/extract/index.js';

function pkt(src: string, sport: number, dst: string, dport: number, flags: string, second: number, extra: Partial<ExtractedRecord> = {}): ExtractedRecord {
  return {
    source: 'tcpdump',
    format: 'tcpdump',
    line: second,
    lineCount: 1,
    time: { hour: 7, minute: 10, second },
    proto: 'tcp',
    src,
    sport,
    dst,
    dport,
    dir: null,
    srcPkts: null,
    dstPkts: null,
    srcBytes: null,
    dstBytes: null,
    srcFlags: flags,
    dstFlags: null,
    state: null,
    singlePacket: true,
    ...extra,
  };
}

const A = '130.67.240.225';
const B = '130.216.223.150';

describe('classifyConversations', () => {
  it('an ACK with data answered by RST, two tcpdump lines: midstream-reset for both lines', () => {
    const c = classifyConversations([pkt(A, 1450, B, 80, 'A', 1, { dgmLen: 1500 }), pkt(B, 80, A, 1450, 'R', 2, { dgmLen: 40 })]);
    expect(c.map((x) => x.class)).toEqual(['midstream-reset', 'midstream-reset']);
    expect(c.every((x) => x.actor === A && x.target === B)).toBe(true);
    expect(c[0]?.evidence).toMatch(/^2 packets of one conversation, read together: with flags A_R/);
  });

  it('handshake lines make established; SYN + RST make syn-rejected; SYN then data alone is syn-unanswered', () => {
    const est = classifyConversations([pkt(A, 1, B, 80, 'S', 1), pkt(B, 80, A, 1, 'SA', 1), pkt(A, 1, B, 80, 'A', 2)]);
    expect(est.map((x) => x.class)).toEqual(['established', 'established', 'established']);
    const rej = classifyConversations([pkt(A, 1, B, 23, 'S', 1), pkt(B, 23, A, 1, 'RA', 1)]);
    expect(rej.map((x) => x.class)).toEqual(['syn-rejected', 'syn-rejected']);
    const eager = classifyConversations([pkt(A, 1, B, 80, 'S', 1), pkt(A, 1, B, 80, 'PA', 1, { payloadLen: 27 })]);
    expect(eager[0]?.class).toBe('syn-unanswered');
    expect(eager[0]?.evidence).toContain('not waiting for the handshake');
  });

  it('a lone line stays unknown; alerts are never merged; a long gap starts a new conversation', () => {
    expect(classifyConversations([pkt(A, 1, B, 80, 'S', 1)])[0]?.class).toBe('unknown');
    const alert = pkt(A, 1, B, 80, 'A', 1, { source: 'snort', signature: { message: 'x' } });
    expect(classifyConversations([alert, pkt(B, 80, A, 1, 'R', 2)]).map((x) => x.class)).toEqual(['alert', 'unknown']);
    const far = pkt(B, 80, A, 1, 'RA', 1, { time: { hour: 9, minute: 0, second: 0 } });
    expect(classifyConversations([pkt(A, 1, B, 80, 'S', 1), far]).map((x) => x.class)).toEqual(['unknown', 'unknown']);
  });

  it('mergePackets counts per side and unions flags', () => {
    const m = mergePackets([pkt(A, 1, B, 80, 'S', 1), pkt(B, 80, A, 1, 'SA', 1), pkt(A, 1, B, 80, 'PA', 2)]);
    expect(m).toMatchObject({ srcPkts: 2, dstPkts: 1, srcFlags: 'SPA', dstFlags: 'SA', singlePacket: false, src: A });
  });

  it('the real tcpdump fixture (3.x layout): the seed-like ACK/RST pair and the echo pair are read together', () => {
    const lines = readFileSync(new URL('../fixtures/extract/tcpdump/old-3x.txt', import.meta.url), 'utf8').split('\n');
    const recs = extractRecords(lines).records;
    const classes = classifyConversations(recs);
    const ack = recs.findIndex((r) => r.src === A && r.srcFlags === 'A');
    expect(classes[ack]?.class).toBe('midstream-reset');
    const echo = recs.findIndex((r) => r.proto === 'icmp' && r.icmpType === 8 && r.src === '192.0.2.1');
    expect(classes[echo]?.class).toBe('icmp-echo-answered');
  });
});

describe('field posts: packet lines with one end hidden by the poster', () => {
  const field = (name: string): string[] =>
    readFileSync(new URL(`../fixtures/field/${name}`, import.meta.url), 'utf8').split('\n');

  it('fixtures/field/github-f2b-blacklist-2-iptables-masked-dst.txt: the SIP request to 77.XX.XX.XX and its reply are one answered UDP flow', () => {
    const { records } = extractRecords(field('github-f2b-blacklist-2-iptables-masked-dst.txt'));
    expect(records.map((r) => [r.src, r.dst])).toEqual([
      ['95.141.35.200', null],
      [null, '95.141.35.200'],
      ['95.141.35.200', null],
    ]);
    const c = classifyConversations(records);
    // the third request comes 280 s later, past the conversation gap, with no reply shown
    expect(c.map((x) => x.class)).toEqual(['udp-answered', 'udp-answered', 'unknown']);
    expect(c[0]?.actor).toBe('95.141.35.200');
  });

  it('fixtures/field/github-phantun-159-tcpdump-v.txt: SYNs to remote.host.ip answered by SYN-ACKs read together', () => {
    const { records } = extractRecords(field('github-phantun-159-tcpdump-v.txt'));
    // the first line, a lone RST to another client port, is a packet on its own
    expect(classifyConversations(records).map((x) => x.class)).toEqual(['unknown', 'established', 'established', 'established', 'established']);
  });
});

describe('field post: fixtures/field/github-tcpdump-391-null-flags.txt', () => {
  it('the packet printed twice (tcpdump, then tcpdump -v) is one packet, not a two-packet conversation', () => {
    const text = readFileSync(new URL('../fixtures/field/github-tcpdump-391-null-flags.txt', import.meta.url), 'utf8');
    const { records } = extractRecords(text.split('\n'));
    expect(records).toHaveLength(8);
    const c = classifyConversations(records);
    expect(c[0]?.evidence).toMatch(/1 packet\/228 bytes from 64\.164\.127\.51/);
    expect(c[7]?.evidence).toMatch(/^the same packet as an earlier line, printed again/);
    expect(c[7]?.class).toBe(c[0]?.class);
  });
});
