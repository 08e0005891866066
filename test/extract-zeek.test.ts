import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractZeek, historyFlags } from '../src/extract/zeek.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function fixture(name: string): string[] {
  return readFileSync(new URL(`../fixtures/extract/zeek/${name}`, import.meta.url), 'utf8').split('\n');
}

function at(records: ExtractedRecord[], line: number): ExtractedRecord {
  const rec = records.find((r) => r.line === line);
  if (!rec) throw new Error(`no record at line ${line}`);
  return rec;
}

describe('conn.log with its header', () => {
  const recs = extractZeek(fixture('conn-tsv.txt'));

  it('reads every conn row and none of the dns.log below it', () => {
    expect(recs.map((r) => r.line)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21]);
    for (const r of recs) expect(r).toMatchObject({ source: 'zeek', format: 'zeek-conn', lineCount: 1, dir: '->' });
  });

  it("reads the seed's bare ACK as an OTH record with payload and nothing back", () => {
    expect(at(recs, 13)).toMatchObject({
      proto: 'tcp', src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, state: 'OTH',
      srcPkts: 1, dstPkts: 0, srcBytes: 1500, dstBytes: 0, srcFlags: 'A', dstFlags: '', payloadLen: 1460, detail: 'history AD',
      time: { epoch: 999760223.613276, year: 2001, month: 9, day: 6, hour: 7, minute: 10, second: 23, fraction: '613276', offsetMinutes: 0 },
    });
  });

  it('maps history letters to the flags of each side', () => {
    expect(at(recs, 14)).toMatchObject({ state: 'S0', srcFlags: 'S', dstFlags: '' });
    expect(at(recs, 15)).toMatchObject({ state: 'REJ', srcFlags: 'S', dstFlags: 'R', dstPkts: 1 });
    expect(at(recs, 16)).toMatchObject({ state: 'SF', srcFlags: 'FSA', dstFlags: 'FSA', srcBytes: 281, dstBytes: 200, payloadLen: 41 });
    expect(at(recs, 17)).toMatchObject({ state: 'OTH', srcFlags: 'A', dstFlags: 'R' });
    expect(at(recs, 20)).toMatchObject({ srcFlags: 'F', dstFlags: '' });
    expect(at(recs, 21)).toMatchObject({ src: '198.51.100.200', dst: '192.0.2.77', sport: 1024, dport: 80, srcFlags: '', dstFlags: 'SA', srcPkts: 0, dstPkts: 1 });
  });

  it('reads UDP and ICMP rows (ICMP type and code from the port columns)', () => {
    expect(at(recs, 18)).toMatchObject({ proto: 'udp', dport: 1434, state: 'S0', payloadLen: 376, srcBytes: 404, srcFlags: null, dstFlags: null });
    expect(at(recs, 19)).toMatchObject({ proto: 'icmp', icmpType: 8, icmpCode: 0, sport: null, dport: null, srcFlags: null });
  });
});

describe('pasted conn.log rows and JSON', () => {
  const recs = extractZeek(fixture('conn-pasted.txt'));

  it('finds the rows, the Bro 2.x row and the JSON conn records, not http or prose', () => {
    expect(recs.map((r) => [r.line, r.lineCount])).toEqual([[6, 1], [7, 2], [12, 1], [16, 1], [21, 1], [22, 1], [23, 2]]);
  });

  it('reads rows whose tabs became spaces, and joins a wrapped row', () => {
    expect(at(recs, 6)).toMatchObject({ src: '130.67.216.237', sport: 3339, dst: '130.216.246.91', dport: 80, state: 'OTH', srcFlags: 'A' });
    expect(at(recs, 7)).toMatchObject({ sport: 3955, srcPkts: 2, srcBytes: 3000, srcFlags: 'A', dstFlags: '' });
  });

  it('reads the 20-column Bro row by its shape', () => {
    expect(at(recs, 12)).toMatchObject({ src: '130.67.114.61', dport: 80, state: 'OTH', srcPkts: 1, srcBytes: 1500, srcFlags: 'A', time: { year: 2011 } });
  });

  it('nulls a masked side and skips a row with both masked', () => {
    expect(at(recs, 16)).toMatchObject({ src: '198.51.100.8', dst: null, dport: 445, state: 'S0' });
    expect(recs.some((r) => r.line === 17)).toBe(false);
  });

  it('reads JSON with epoch or ISO ts and a wrapped JSON record', () => {
    expect(at(recs, 21)).toMatchObject({ src: '198.51.100.23', dport: 1433, state: 'S0', srcFlags: 'S', time: { epoch: 999760235.1 } });
    expect(at(recs, 22)).toMatchObject({ state: 'SF', time: { year: 2026, month: 11, day: 26, hour: 4, offsetMinutes: 0, fraction: '123456' } });
    expect(at(recs, 23)).toMatchObject({ state: 'RSTRH', srcFlags: '', dstFlags: 'SRA', dstPkts: 2 });
  });
});

describe('zeek-cut -c output and a header with extra columns', () => {
  const recs = extractZeek(fixture('conn-zeek-cut.txt'));

  it('maps the chosen columns by the #fields header', () => {
    expect(recs.map((r) => r.line)).toEqual([13, 14, 15, 21, 22]);
    expect(at(recs, 13)).toMatchObject({ time: null, src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, state: 'OTH', srcFlags: 'A', dstFlags: '', srcPkts: null });
    expect(at(recs, 14)).toMatchObject({ state: 'REJ', srcFlags: 'S', dstFlags: 'R' });
    expect(at(recs, 15)).toMatchObject({ proto: 'icmp', icmpType: 8, icmpCode: 0, srcFlags: null });
  });

  it('reads a space-separated header and rows with extra columns', () => {
    expect(at(recs, 21)).toMatchObject({ src: '130.67.58.251', sport: 3371, dport: 80, state: 'OTH', srcPkts: 1, srcBytes: 1500, srcFlags: 'A', time: { epoch: 999760240 } });
    expect(at(recs, 22)).toMatchObject({ srcPkts: 2, srcBytes: 3000 });
  });
});

describe('historyFlags', () => {
  it('splits originator and responder letters', () => {
    expect(historyFlags('ShADadFf')).toEqual({ orig: 'FSA', resp: 'FSA' });
    expect(historyFlags('Sr')).toEqual({ orig: 'S', resp: 'R' });
    expect(historyFlags('^hr')).toEqual({ orig: '', resp: 'SRA' });
    expect(historyFlags('Q')).toEqual({ orig: 'FS', resp: '' });
    expect(historyFlags('DdTtCcGgWwIi')).toEqual({ orig: '', resp: '' });
    expect(historyFlags('S-')).toBeNull();
  });
});

describe('bad input', () => {
  it('never throws and reads no rows from a header alone or rows of another log', () => {
    const lines = ['#fields\tts\tuid\tid.orig_h', '1.2\tC\t1.2.3.4', '#path\thttp', '999760231.0 CazdYX2P9Ph3zFA7Gf 1.2.3.4 1 5.6.7.8 80 tcp - - 0 0 S0 - - 0 S 1 40 0 0 -', '{"ts":'];
    expect(() => extractZeek(lines)).not.toThrow();
    expect(extractZeek(lines)).toEqual([]);
  });
});
