import { describe, expect, it } from 'vitest';
import { classifyConversations } from '../src/classify/conversation.js';
import type { Observation } from '../src/contract.js';
import { correlate } from '../src/correlate/correlate.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function tcpdumpLine(i: number, src: string, sport: number, dst: string, dport: number, flags: string): ExtractedRecord {
  return {
    source: 'tcpdump', format: 'tcpdump', line: i, lineCount: 1,
    time: { hour: 11, minute: 7, second: 40 + i }, proto: 'tcp', src, sport, dst, dport, dir: '->',
    srcPkts: 1, dstPkts: null, srcBytes: 40, dstBytes: null, srcFlags: flags, dstFlags: null, state: null, singlePacket: true,
  };
}

describe('lone replies in a packet log', () => {
  it('several SYN-ACKs and resets from one host, with no SYN from their targets, are backscatter', () => {
    const lines = [
      tcpdumpLine(0, '203.0.113.80', 80, '192.0.2.60', 1024, 'SA'),
      tcpdumpLine(1, '203.0.113.80', 80, '192.0.2.61', 3072, 'RA'),
      tcpdumpLine(2, '203.0.113.80', 80, '192.0.2.62', 1024, 'SA'),
    ];
    const classes = classifyConversations(lines);
    expect(classes.map((c) => c.class)).toEqual(['backscatter', 'backscatter', 'backscatter']);
    expect(classes[0]!.actor).toBe('203.0.113.80');
    expect(classes[0]!.evidence).toMatch(/3 lone replies from 203\.0\.113\.80/);
  });

  it('one lone SYN-ACK proves nothing, and a SYN-ACK answering a logged SYN is a handshake', () => {
    expect(classifyConversations([tcpdumpLine(0, '203.0.113.80', 80, '192.0.2.60', 1024, 'SA')])[0]!.class).toBe('unknown');
    const handshake = classifyConversations([
      tcpdumpLine(0, '192.0.2.60', 1024, '203.0.113.80', 80, 'S'),
      tcpdumpLine(1, '203.0.113.80', 80, '192.0.2.60', 1024, 'SA'),
      tcpdumpLine(2, '203.0.113.80', 80, '192.0.2.61', 1024, 'SA'),
    ]);
    expect(handshake[0]!.class).not.toBe('backscatter');
    expect(handshake[1]!.class).not.toBe('backscatter');
  });
});

describe('backscatter findings', () => {
  it('group by the port the victim answers from, not by the forged ports the replies go to', () => {
    const base: Omit<Observation, 'id' | 'dst' | 'dport' | 'line'> = {
      post: 'p1', reporter: { name: null, address: 'a@fjordnet.example', org: 'fjordnet.example' }, quoted: false,
      source: 'argus', format: 'argus-ra', time: '2026-11-25T12:05:12+01:00', proto: 'tcp', src: '203.0.113.80', sport: 80,
      dir: '->', srcPkts: 1, dstPkts: 0, srcBytes: 54, dstBytes: 0, srcFlags: 'SA', dstFlags: '', state: 'SA_',
      class: 'backscatter', actor: '203.0.113.80', target: null, evidence: 'x',
    };
    const observations: Observation[] = [1024, 3072, 1024, 5555].map((dport, i) => ({ ...base, id: `o${i}`, line: i + 1, dst: `198.51.100.${i}`, target: `198.51.100.${i}`, dport }));
    const findings = correlate({
      posts: [{ id: 'p1', thread: 't', subject: null, date: null, from: base.reporter, observations: observations.map((o) => o.id) }],
      observations,
      statements: [],
      joins: [],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'campaign', behaviour: 'backscatter', actorPrefix: '203.0.113.80/32', dport: null });
    expect(findings[0]!.observations).toHaveLength(4);
  });
});

describe('field post: fixtures/field/github-tcpdump-391-null-flags.txt', () => {
  it('SYN-ACKs from seven hosts to one address that sent no SYN: each is backscatter, named by the target', async () => {
    const { readFileSync } = await import('node:fs');
    const { extractRecords } = await import('../src/extract/index.js');
    const text = readFileSync(new URL('../fixtures/field/github-tcpdump-391-null-flags.txt', import.meta.url), 'utf8');
    // the first, non-verbose block as the poster printed it
    const block = text.split('\n').filter((l) => / IP \S+ > 192\.168\.0\.10\.80: Flags \[S\.\]/.test(l));
    const { records } = extractRecords(block);
    expect(records).toHaveLength(7);
    const classes = classifyConversations(records);
    expect(classes.map((c) => c.class)).toEqual(Array(7).fill('backscatter'));
    expect(classes[1]!.actor).toBe('208.117.49.71');
    expect(classes[1]!.evidence).toMatch(/^7 lone replies to 192\.168\.0\.10 in these lines and no SYN from 192\.168\.0\.10/);
  });
});
