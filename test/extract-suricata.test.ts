import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractSuricata, hexTcpFlags } from '../src/extract/suricata.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function fixture(name: string): string[] {
  return readFileSync(new URL(`../fixtures/extract/suricata/${name}`, import.meta.url), 'utf8').split('\n');
}

function at(records: ExtractedRecord[], line: number): ExtractedRecord {
  const rec = records.find((r) => r.line === line);
  if (!rec) throw new Error(`no record at line ${line}`);
  return rec;
}

describe('fast.log and syslog alerts', () => {
  const recs = extractSuricata(fixture('fast.log.txt'));

  it('finds the Suricata alerts and nothing else (not the Snort line, not the rule)', () => {
    expect(recs.map((r) => [r.line, r.lineCount, r.format])).toEqual([
      [6, 1, 'suricata-fast'], [7, 1, 'suricata-fast'], [8, 1, 'suricata-fast'], [9, 1, 'suricata-fast'],
      [10, 1, 'suricata-fast'], [11, 1, 'suricata-fast'], [15, 2, 'suricata-fast'], [20, 1, 'suricata-syslog'],
      [24, 1, 'suricata-fast'],
    ]);
    for (const r of recs) expect(r).toMatchObject({ source: 'suricata', singlePacket: true, dir: '->' });
  });

  it('reads the signature, the 4-digit-year time and the addresses', () => {
    expect(at(recs, 6)).toMatchObject({
      proto: 'tcp', src: '198.51.100.23', sport: 51234, dst: '192.0.2.14', dport: 1433,
      time: { year: 2026, month: 11, day: 26, hour: 4, minute: 44, second: 13, fraction: '123456' },
      signature: { id: '1:2010935', rev: 3, message: 'ET POLICY Suspicious inbound to MSSQL port 1433', classification: 'Potentially Bad Traffic', priority: 2 },
    });
    expect(at(recs, 7)).toMatchObject({ src: '130.67.240.225', sport: 1450, dport: 80, signature: { id: '1:1002', message: 'WEB-IIS cmd.exe access' } });
  });

  it('reads [Drop] alerts, ICMP type/code in the port slots, a missing classification and IPv6', () => {
    expect(at(recs, 8)).toMatchObject({ proto: 'udp', dport: 1434, signature: { id: '1:2003', rev: 8 } });
    expect(at(recs, 9)).toMatchObject({ proto: 'icmp', icmpType: 8, icmpCode: 0, sport: null, dport: null });
    expect(at(recs, 10).signature).toEqual({ id: '1:2200003', rev: 2, message: 'SURICATA IPv4 truncated packet', priority: 3 });
    expect(at(recs, 11)).toMatchObject({ src: '2001:0db8:0000:0000:0000:0000:0000:0001', sport: 41234, dport: 80 });
  });

  it('joins a wrapped alert and reads the syslog form', () => {
    expect(at(recs, 15)).toMatchObject({ dport: 3306, signature: { classification: 'Potentially Bad Traffic', priority: 2 } });
    expect(at(recs, 20)).toMatchObject({ src: '198.51.100.7', dport: 22, time: { month: 11, day: 26, hour: 4, minute: 47 }, signature: { id: '1:2001219', rev: 20 } });
  });

  it('nulls a masked side and skips an alert with both sides masked', () => {
    expect(at(recs, 24)).toMatchObject({ src: '198.51.100.7', dst: null, dport: 22 });
  });
});

describe('eve.json events', () => {
  const recs = extractSuricata(fixture('eve.json.txt'));

  it('finds alert, flow, netflow and drop events and skips dns, stats and a truncated line', () => {
    expect(recs.map((r) => [r.line, r.lineCount])).toEqual([
      [6, 1], [7, 1], [8, 1], [9, 1], [10, 1], [11, 1], [15, 1], [16, 1], [20, 1], [21, 1], [31, 1], [36, 3], [42, 17], [62, 1],
    ]);
    for (const r of recs) expect(r).toMatchObject({ source: 'suricata', format: 'suricata-eve', dir: '->' });
  });

  it('reads flow counts, per-side flags and the TCP state', () => {
    expect(at(recs, 6)).toMatchObject({
      proto: 'tcp', src: '198.51.100.7', sport: 41000, dst: '192.0.2.10', dport: 22,
      srcPkts: 1, dstPkts: 1, srcBytes: 60, dstBytes: 54, srcFlags: 'S', dstFlags: 'RA', state: 'closed',
      time: { year: 2026, month: 11, day: 26, hour: 4, minute: 43, second: 49, fraction: '825062', offsetMinutes: 0 },
    });
    expect(at(recs, 7)).toMatchObject({ src: '130.67.216.237', srcFlags: 'A', dstFlags: '', srcPkts: 1, dstPkts: 0, srcBytes: 1500, state: 'established' });
    expect(at(recs, 8)).toMatchObject({ srcFlags: 'FSPA', dstFlags: 'FSPA', state: 'closed' });
    expect(at(recs, 9)).toMatchObject({ proto: 'udp', dport: 1434, srcFlags: null, state: 'new', srcBytes: 418 });
    expect(at(recs, 10)).toMatchObject({ proto: 'icmp', icmpType: 8, icmpCode: 0, sport: null, dstPkts: 1 });
  });

  it('does not take untracked "00" flags for a NULL scan', () => {
    expect(at(recs, 11)).toMatchObject({ srcPkts: 10, srcFlags: null, dstFlags: null });
  });

  it('reads alerts with signature, severity as priority, URL and payload strings', () => {
    const codeRed = at(recs, 15);
    expect(codeRed).toMatchObject({
      singlePacket: true, srcPkts: null, dport: 80,
      signature: { id: '1:2009001', rev: 5, message: 'ET WEB_SERVER Code Red default.ida overflow attempt', classification: 'Web Application Attack', priority: 1 },
    });
    expect(codeRed.detail).toMatch(/^130\.216\.246\.91\/default\.ida\?N+/);
    expect(codeRed.payload?.strings[0]).toMatch(/^GET \/default\.ida\?N+%u9090/);
    const slammer = at(recs, 16);
    expect(slammer).toMatchObject({ proto: 'udp', dport: 1434, payloadLen: 376, payload: { bytes: 376 } });
    expect(slammer.payload?.strings.join(' ')).toContain('h.dllhel32hkernQhounthickChGetTf');
  });

  it('reads netflow and drop events', () => {
    expect(at(recs, 20)).toMatchObject({ srcPkts: 1, srcBytes: 40, srcFlags: 'FPU', dstPkts: null });
    expect(at(recs, 21)).toMatchObject({ singlePacket: true, srcPkts: 1, srcFlags: 'SA', dgmLen: 44, sport: 80, dport: 1024 });
  });

  it('nulls a masked address and skips a record with both masked', () => {
    expect(at(recs, 31)).toMatchObject({ src: '192.0.2.7', dst: null, dport: 80 });
    expect(recs.some((r) => r.line === 32)).toBe(false);
  });

  it('joins a wrapped line, a jq-printed object and strips a zgrep file prefix', () => {
    expect(at(recs, 36)).toMatchObject({ dport: 443, srcFlags: 'S', dstFlags: '', state: 'syn_sent', srcPkts: 2 });
    expect(at(recs, 42)).toMatchObject({ signature: { id: '1:2100621', message: 'GPL SCAN FIN' }, time: { offsetMinutes: 60 } });
    expect(at(recs, 62)).toMatchObject({ src: '192.0.2.229', dport: 21, srcFlags: 'FSPA' });
  });
});

describe('helpers and bad input', () => {
  it('turns eve hex flags into letters', () => {
    expect(hexTcpFlags('02')).toBe('S');
    expect(hexTcpFlags('12')).toBe('SA');
    expect(hexTcpFlags('14')).toBe('RA');
    expect(hexTcpFlags('1b')).toBe('FSPA');
    expect(hexTcpFlags('c2')).toBe('S');
    expect(hexTcpFlags('zz')).toBeNull();
    expect(hexTcpFlags(7)).toBeNull();
  });

  it('never throws on broken JSON and skips objects that are not events', () => {
    const lines = ['{"timestamp":', '{"timestamp":"x","event_type":"alert"}', '{not json}', '{}', '[1,2]', `{"a":"${'x'.repeat(70000)}"}`, '{"timestamp":"2026-11-26T04:44:13Z","event_type":"flow","src_ip":1,"dest_ip":{}}'];
    expect(() => extractSuricata(lines)).not.toThrow();
    expect(extractSuricata(lines)).toEqual([]);
  });
});

describe('field post: fixtures/field/github-opnsense-suricata-nmaps-5-fastlog.txt', () => {
  it('keeps the two [Drop] alerts whose source the poster garbled (10.0.01.2), with that address unknown', () => {
    const text = readFileSync(new URL('../fixtures/field/github-opnsense-suricata-nmaps-5-fastlog.txt', import.meta.url), 'utf8');
    const recs = extractSuricata(text.split('\n'));
    expect(recs.map((r) => [r.src, r.sport, r.dst, r.dport, r.signature?.id])).toEqual([
      [null, 42088, '172.19.0.2', 4444, '1:3400020'],
      [null, 42090, '172.19.10.2', 4444, '1:3400020'],
    ]);
  });
});
