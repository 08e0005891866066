import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../src/classify/classify.js';
import { detectFamily } from '../src/classify/family.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function alert(over: Partial<ExtractedRecord>): ExtractedRecord {
  return {
    source: 'snort',
    format: 'snort-full',
    line: 0,
    lineCount: 6,
    time: { month: 9, day: 6, hour: 7, minute: 10, second: 23 },
    proto: 'tcp',
    src: '198.51.100.9',
    sport: 1450,
    dst: '192.0.2.150',
    dport: 80,
    dir: null,
    srcPkts: null,
    dstPkts: null,
    srcBytes: null,
    dstBytes: null,
    srcFlags: 'PA',
    dstFlags: null,
    state: null,
    singlePacket: true,
    ...over,
  };
}

describe('detectFamily', () => {
  it('Code Red: .ida with NNNN filler', () => {
    const f = detectFamily(alert({ payload: { bytes: 1000, strings: ['GET /default.ida?NNNNNNNNNNNNNNNN', '%u9090%u6858'] } }));
    expect(f?.family).toBe('code-red');
    expect(f?.why).toContain('NNNN');
  });
  it('Code Red II: .ida with XXXX filler, or the CodeRedII string', () => {
    expect(detectFamily(alert({ payload: { bytes: 1000, strings: ['GET /default.ida?XXXXXXXXXXXXXXXX'] } }))?.family).toBe('code-red-ii');
    expect(detectFamily(alert({ payload: { bytes: 1000, strings: ['CodeRedII'] } }))?.family).toBe('code-red-ii');
  });
  it('Nimda: root.exe, Admin.dll, the %c1%1c walk, cmd.exe with a Nimda path', () => {
    expect(detectFamily(alert({ payload: { bytes: 200, strings: ['GET /scripts/root.exe?/c+dir'] } }))?.family).toBe('nimda');
    expect(detectFamily(alert({ payload: { bytes: 200, strings: ['GET /MSADC/Admin.dll'] } }))?.family).toBe('nimda');
    expect(detectFamily(alert({ detail: 'GET /scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir' }))?.family).toBe('nimda');
    const f = detectFamily(alert({ detail: 's[32]=GET /scripts/..%255c../winnt/system32/cmd.exe' }));
    expect(f?.family).toBe('nimda');
    expect(f?.why).toContain('cmd.exe');
  });
  it('Slammer: udp/1434 with a 376-byte payload, or 404 bytes per packet', () => {
    expect(detectFamily(alert({ proto: 'udp', dport: 1434, srcFlags: null, payloadLen: 376 }))?.family).toBe('slammer');
    const flow: ExtractedRecord = alert({ source: 'argus', format: 'argus-ra', singlePacket: undefined, proto: 'udp', dport: 1434, srcFlags: null, srcPkts: 3, srcBytes: 1212, dstPkts: 0, dstBytes: 0, state: 'INT', dir: '->' });
    expect(detectFamily(flow)?.family).toBe('slammer');
    expect(detectFamily({ ...flow, srcBytes: 1500 })).toBeUndefined();
    expect(detectFamily({ ...flow, dport: 53, srcBytes: 1212 })).toBeUndefined();
  });
  it('signature messages that name a family', () => {
    expect(detectFamily(alert({ proto: 'udp', dport: 1434, signature: { message: 'MS-SQL Worm propagation attempt' } }))?.family).toBe('slammer');
    expect(detectFamily(alert({ signature: { message: 'WEB-IIS CodeRed v2 root.exe access' } }))?.family).toBe('code-red');
    expect(detectFamily(alert({ signature: { message: 'W32.Nimda worm' } }))?.family).toBe('nimda');
  });
  it('a bare "WEB-IIS cmd.exe access" names no family, and the evidence says why', () => {
    const rec = alert({ signature: { message: 'WEB-IIS cmd.exe access' }, payload: { bytes: 1460, strings: ['loseHandle', '_lcreat', 'GetSystemTime', 'WS2_32.DL'] } });
    expect(detectFamily(rec)).toBeUndefined();
    expect(classifyRecord(rec).evidence).toMatch(/cmd\.exe.*Nimda and Code Red II/);
  });
  it('the family reason lands in the evidence sentence', () => {
    const c = classifyRecord(alert({ payload: { bytes: 1000, strings: ['GET /default.ida?NNNNNNNN'] } }));
    expect(c.family).toBe('code-red');
    expect(c.evidence).toMatch(/\.ida.*NNNN.*Code Red\.$/);
  });
});

describe('detectFamily: where the string was found', () => {
  it('a root.exe request under a CodeRed-named signature is Nimda, and says why', () => {
    const f = detectFamily(alert({ signature: { message: 'WEB-IIS CodeRed v2 root.exe access' }, detail: 'GET /scripts/root.exe?/c+dir' }));
    expect(f?.family).toBe('nimda');
    expect(f?.why).toMatch(/^request string "root\.exe".*Nimda probing for the backdoor Code Red II leaves/);
  });
});
