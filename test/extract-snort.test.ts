import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLAG_ORDER, normalizeFlags, snortFlagMap } from '../src/extract/flags.js';
import { parseHexDump, printableStrings } from '../src/extract/hexdump.js';
import { extractSnort } from '../src/extract/snort.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function fixture(name: string): string[] {
  const path = fileURLToPath(new URL(`../fixtures/extract/snort/${name}`, import.meta.url));
  return readFileSync(path, 'utf8').split(/\r?\n/);
}

function only(records: ExtractedRecord[], line: number): ExtractedRecord {
  const found = records.filter((r) => r.line === line);
  expect(found, `one record at line ${line}`).toHaveLength(1);
  return found[0] as ExtractedRecord;
}

describe('flags', () => {
  it('normalizes letters into FSRPAU order, dropping duplicates and unknown letters', () => {
    expect(FLAG_ORDER).toBe('FSRPAU');
    expect(normalizeFlags('AP')).toBe('PA');
    expect(normalizeFlags('RPA')).toBe('RPA');
    expect(normalizeFlags('AAPPSS')).toBe('SPA');
    expect(normalizeFlags('UPF')).toBe('FPU');
    expect(normalizeFlags('ECAW.')).toBe('A');
    expect(normalizeFlags('')).toBe('');
  });

  it('reads the Snort 8-character flag map', () => {
    expect(snortFlagMap('***A****')).toBe('A');
    expect(snortFlagMap('***AP***')).toBe('PA');
    expect(snortFlagMap('******SF')).toBe('FS');
    expect(snortFlagMap('**U*P**F')).toBe('FPU');
    expect(snortFlagMap('***A**S*')).toBe('SA');
    expect(snortFlagMap('*****R**')).toBe('R');
    expect(snortFlagMap('12UAPRSF')).toBe('FSRPAU');
    expect(snortFlagMap('12****S*')).toBe('S');
    expect(snortFlagMap('********')).toBe('');
  });

  it('rejects anything that is not a flag map', () => {
    expect(snortFlagMap('***A***')).toBeNull();
    expect(snortFlagMap('***A*****')).toBeNull();
    expect(snortFlagMap('A*******')).toBeNull(); // A in the reserved position
    expect(snortFlagMap('***S****')).toBeNull(); // letters must sit in their own column
    expect(snortFlagMap('PASSWORD')).toBeNull();
    expect(snortFlagMap('')).toBeNull();
  });
});

describe('hex dumps', () => {
  it('reads Snort rows up to a [ snip ] line, including a short last row', () => {
    const lines = [
      '47 45 54 20 2F 64 65 66 61 75 6C 74 2E 69 64 61  GET /default.ida',
      '3F 4E 4E 4E 4E 0D 0A                             ?NNNN..\r',
      '[ snip ]',
    ];
    const dump = parseHexDump(lines, 0);
    expect(dump).not.toBeNull();
    expect(dump?.end).toBe(2);
    expect(dump?.bytes).toBe(23);
    expect(printableStrings(dump!.data)).toEqual(['GET /default.ida?NNNN']);
  });

  it('reads tcpdump -X rows and hexdump -C rows', () => {
    const tcpdump = [
      '\t0x0000:  4500 0028 5f1f 4000 6506 a08d 8243 f0e1  E..(_.@.e....C..',
      '\t0x0010:  8ed8 df96 05aa 0050 e68e 61f7 e5c9 9396  .......P..a.....',
      '\t0x0020:  5010 2238 0000 0000                      P."8....',
      '',
    ];
    const t = parseHexDump(tcpdump, 0);
    expect(t?.end).toBe(3);
    expect(t?.bytes).toBe(40);
    expect(Array.from(t!.data.slice(0, 4))).toEqual([0x45, 0x00, 0x00, 0x28]);

    const hexdumpC = [
      '00000000  48 45 4c 4f 20 77 6f 72  6d 2e 65 78 61 6d 70 6c  |HELO worm.exampl|',
      '00000010  65 0d 0a                                          |e..|',
      'done',
    ];
    const h = parseHexDump(hexdumpC, 0);
    expect(h?.end).toBe(2);
    expect(h?.bytes).toBe(19);
    expect(printableStrings(h!.data)).toEqual(['HELO worm.example']);
  });

  it('returns null on lines that are not dump rows and never mixes layouts', () => {
    expect(parseHexDump(['Which shows a single incoming packet'], 0)).toBeNull();
    expect(parseHexDump(['12 apples and 3 pears'], 0)).toBeNull();
    expect(parseHexDump(['00 FF'], 5)).toBeNull();
    expect(parseHexDump([], 0)).toBeNull();
    expect(parseHexDump(['00 FF\r', '41 42 '], 0)?.bytes).toBe(4); // CR or trailing blank after the hex
    const mixed = parseHexDump(['00 FF 75 FC  ..u.', '0x0010:  4500 0028  E..('], 0);
    expect(mixed?.end).toBe(1);
  });

  it('caps strings by count and length and skips blank runs', () => {
    const long = new TextEncoder().encode(`${'A'.repeat(300)}\0abc\0    \0wxyz\0wxyz`);
    expect(printableStrings(long, 4, 32, 80)).toEqual(['A'.repeat(80), 'wxyz']);
    const many = new TextEncoder().encode(Array.from({ length: 100 }, (_, k) => `str${k}`).join('\0'));
    expect(printableStrings(many, 4, 5)).toEqual(['str0', 'str1', 'str2', 'str3', 'str4']);
  });
});

describe('extractSnort: the seed post', () => {
  it('gives exactly one full alert with the packet, flags and payload strings', () => {
    const records = extractSnort(fixture('seed-code-red-variants.txt'));
    expect(records).toHaveLength(1);
    const r = records[0] as ExtractedRecord;
    expect(r.source).toBe('snort');
    expect(r.format).toBe('snort-full');
    expect(r.line).toBe(15);
    expect(r.lineCount).toBe(13); // header through the last dump row, not the [ snip ] line
    expect(r.time).toEqual({ month: 9, day: 6, hour: 7, minute: 10, second: 23, fraction: '613276' });
    expect([r.src, r.sport, r.dst, r.dport, r.dir, r.proto]).toEqual([
      '130.67.240.225',
      1450,
      '130.216.223.150',
      80,
      '->',
      'tcp',
    ]);
    expect(r.srcFlags).toBe('A');
    expect(r.dstFlags).toBeNull();
    expect(r.singlePacket).toBe(true);
    expect([r.srcPkts, r.srcBytes, r.dstPkts, r.dstBytes]).toEqual([1, 1500, null, null]);
    expect(r.dgmLen).toBe(1500);
    expect(r.payloadLen).toBe(1460);
    expect(r.signature).toEqual({ message: 'WEB-IIS cmd.exe access' });
    expect(r.detail).toBe('cmd.exe');
    expect(r.state).toBeNull();
    expect(r.payload?.bytes).toBe(144);
    const strings = r.payload?.strings ?? [];
    // 'C' ends the first dump row and "loseHandle" starts the second: one string
    expect(strings).toContain('CloseHandle');
    expect(strings.some((s) => s.includes('loseHandle'))).toBe(true);
    for (const s of ['_lcreat', '_lwrite', '_lclose', 'GetSystemTime', 'WS2_32.DL']) expect(strings).toContain(s);
  });
});

describe('extractSnort: full alerts', () => {
  it('reads 2.x alerts with triple, classification, wrapped TCP line, options and Xref', () => {
    const records = extractSnort(fixture('full-2x-triple.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 14, 23, 29, 34]);
    expect(records.every((r) => r.format === 'snort-full' && r.source === 'snort')).toBe(true);

    const cmd = only(records, 2);
    expect(cmd.signature).toEqual({
      id: '1:1002',
      rev: 5,
      message: 'WEB-IIS cmd.exe access',
      classification: 'Web Application Attack',
      priority: 1,
    });
    expect(cmd.srcFlags).toBe('PA');
    expect(cmd.payloadLen).toBe(96);
    expect(cmd.payload?.bytes).toBe(96);
    expect(cmd.payload?.strings[0]).toBe('GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0');
    expect(cmd.detail).toBe('cmd.exe');
    expect(cmd.lineCount).toBe(11);

    const nmap = only(records, 14);
    expect([nmap.src, nmap.sport, nmap.dst, nmap.dport]).toEqual(['203.0.113.100', 48184, '192.0.2.16', 1]);
    expect(nmap.srcFlags).toBe('A');
    expect(nmap.payloadLen).toBe(0); // 60 - 20 - 40, TcpLen wrapped onto the next line
    expect(nmap.lineCount).toBe(8);
    expect(nmap.payload).toBeUndefined();

    expect(only(records, 23).srcFlags).toBe('FPU');
    expect(only(records, 23).signature?.id).toBe('111:10');
    expect(only(records, 29).srcFlags).toBe('');

    const frontpage = only(records, 34);
    expect(frontpage.time).toEqual({ year: 2003, month: 10, day: 21, hour: 4, minute: 1, second: 9, fraction: '000417' });
    expect(frontpage.srcFlags).toBe('S');
    expect(frontpage.detail).toBe('/_vti_bin/');
    expect(frontpage.signature?.classification).toBe('access to a potentially vulnerable web application');
  });

  it('reads 1.x alerts without a triple, with arachNIDS ids and an interface', () => {
    const records = extractSnort(fixture('full-1x-no-triple.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 7, 12, 17]);
    const unicode = only(records, 2);
    expect(unicode.signature).toEqual({ message: 'spp_http_decode: IIS Unicode attack detected' });
    expect(unicode.srcFlags).toBe('PA');
    expect(unicode.payloadLen).toBe(982);
    expect(unicode.time).toEqual({ month: 3, day: 7, hour: 11, minute: 10, second: 40, fraction: '910903' });

    const synfin = only(records, 7);
    expect(synfin.signature).toEqual({ message: 'IDS198/SYN FIN Scan' });
    expect(synfin.srcFlags).toBe('FS');
    expect(synfin.detail).toBeUndefined();

    const icmp = only(records, 12);
    expect(icmp.signature).toEqual({ message: 'IDS246/scan_Large-ICMP' });
    expect([icmp.proto, icmp.src, icmp.sport, icmp.dst, icmp.dport]).toEqual(['icmp', '203.0.113.9', null, '192.0.2.1', null]);
    expect([icmp.icmpType, icmp.icmpCode]).toEqual([8, 0]);
    expect(icmp.srcFlags).toBeNull();
  });

  it('turns a portscan preprocessor alert into a record with only the scanner, skipping status and end messages', () => {
    const records = extractSnort(fixture('full-1x-no-triple.txt'));
    const scan = only(records, 17);
    expect(scan.signature?.message).toBe(
      'spp_portscan: PORTSCAN DETECTED from 203.0.113.25 (THRESHOLD 3 connections exceeded in 4 seconds)',
    );
    expect([scan.src, scan.dst, scan.sport, scan.dport, scan.proto, scan.dir]).toEqual([
      '203.0.113.25',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(scan.singlePacket).toBeUndefined();
    expect(scan.srcPkts).toBeNull();
    expect(scan.lineCount).toBe(3);
    expect(records.filter((r) => r.line > 17)).toHaveLength(0);
  });

  it('reads alerts with the MAC part on the time line, before the addresses, or on its own line', () => {
    const records = extractSnort(fixture('full-mac.txt'));
    expect(records.map((r) => [r.line, r.dst, r.sport, r.srcFlags])).toEqual([
      [2, '192.0.2.150', 2210, 'A'],
      [10, '192.0.2.151', 2299, 'PA'],
      [17, '192.0.2.152', 2301, 'A'],
    ]);
    for (const r of records) {
      expect(r.src).toBe('130.67.12.9');
      expect(r.dport).toBe(80);
      expect(r.dgmLen).toBe(1500);
      expect(r.payloadLen).toBe(1460);
      expect(r.proto).toBe('tcp');
    }
    expect(only(records, 17).time).toEqual({ month: 9, day: 6, hour: 9, minute: 47, second: 0, fraction: '000050' });
    expect(only(records, 17).lineCount).toBe(5);
  });

  it('joins headers and address lines re-wrapped by a mail client', () => {
    const records = extractSnort(fixture('full-wrapped-header.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 7, 16]);
    const scan = only(records, 2);
    expect(scan.signature?.id).toBe('100:1');
    expect(scan.src).toBe('203.0.113.100');
    expect(scan.lineCount).toBe(4);

    const root = only(records, 7);
    expect(root.signature).toEqual({
      id: '1:1256',
      rev: 7,
      message: 'WEB-IIS CodeRed v2 root.exe access',
      classification: 'Web Application Attack',
      priority: 1,
    });
    expect([root.src, root.sport, root.dst, root.dport]).toEqual(['198.51.100.77', 3340, '192.0.2.44', 80]);
    expect(root.payloadLen).toBe(72);
    expect(root.detail).toBe('root.exe');
    expect(root.lineCount).toBe(8);

    const ida = only(records, 16);
    expect(ida.payloadLen).toBe(1460);
    expect(ida.detail).toBe('.ida');
  });

  it('reads UDP alerts: Xref before the dump, payload length and strings', () => {
    const records = extractSnort(fixture('full-udp.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 34]);
    const slammer = only(records, 2);
    expect([slammer.proto, slammer.src, slammer.sport, slammer.dst, slammer.dport]).toEqual([
      'udp',
      '198.51.100.201',
      3398,
      '192.0.2.10',
      1434,
    ]);
    expect(slammer.srcFlags).toBeNull();
    expect(slammer.dgmLen).toBe(404);
    expect(slammer.payloadLen).toBe(376);
    expect(slammer.payload?.bytes).toBe(376);
    const joined = (slammer.payload?.strings ?? []).join(' ');
    for (const s of ['kernQhounthickChGetTf', 'sockf', 'send']) expect(joined).toContain(s);
    expect(slammer.lineCount).toBe(31);
    expect(only(records, 34).payloadLen).toBe(50);
  });

  it('reads ICMP alerts: type and code, and the outer addresses of an unreachable', () => {
    const records = extractSnort(fixture('full-icmp.txt'));
    expect(records.map((r) => [r.line, r.icmpType, r.icmpCode, r.src, r.dst])).toEqual([
      [2, 8, 0, '203.0.113.100', '192.0.2.16'],
      [9, 3, 3, '198.51.100.1', '192.0.2.53'],
      [20, 8, 0, '198.51.100.9', '192.0.2.7'],
    ]);
    expect(records.every((r) => r.proto === 'icmp' && r.sport === null && r.dport === null)).toBe(true);
    expect(only(records, 9).lineCount).toBe(10);
    expect(only(records, 20).payloadLen).toBe(64);
  });
});

describe('extractSnort: fast and syslog alerts', () => {
  it('reads fast alerts, a wrapped one and a portscan, and leaves Suricata lines alone', () => {
    const records = extractSnort(fixture('fast.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 9, 10, 17, 20]);
    expect(records.every((r) => r.format === 'snort-fast' && r.source === 'snort')).toBe(true);
    const first = only(records, 2);
    expect(first).toMatchObject({
      proto: 'tcp',
      src: '130.67.240.225',
      sport: 1450,
      dst: '130.216.223.150',
      dport: 80,
      dir: '->',
      srcPkts: 1,
      singlePacket: true,
      srcFlags: null,
      detail: 'cmd.exe',
      lineCount: 1,
      signature: {
        id: '1:1002',
        rev: 2,
        message: 'WEB-IIS cmd.exe access',
        classification: 'Web Application Attack',
        priority: 1,
      },
    });
    expect(first.time).toEqual({ month: 9, day: 6, hour: 7, minute: 10, second: 23, fraction: '613276' });
    expect(only(records, 4)).toMatchObject({ proto: 'icmp', sport: null, dport: null, dst: '192.0.2.16' });
    expect(only(records, 5)).toMatchObject({ proto: 'udp', dport: 1434 });
    const year = only(records, 6);
    expect(year.time?.year).toBe(2001);
    expect(year.signature).toEqual({ id: '111:13', rev: 1, message: 'spp_stream4: STEALTH ACTIVITY (SYN FIN scan) detection' });
    expect(only(records, 7)).toMatchObject({ lineCount: 2, dst: '192.0.2.44', detail: 'root.exe' });
    expect(only(records, 9)).toMatchObject({ src: '203.0.113.25', dst: null, proto: null });
    expect(only(records, 10)).toMatchObject({ src: '198.51.100.5', signature: { priority: 1 } });
    expect(only(records, 10).signature?.classification).toBeUndefined();
    // wrapped over three lines, and a message wrapped before its closing [**]
    expect(only(records, 17)).toMatchObject({ lineCount: 3, sport: 1499, dst: '130.216.223.151', signature: { priority: 1 } });
    expect(only(records, 20)).toMatchObject({ lineCount: 2, src: '203.0.113.26', signature: { id: '100:1' } });
    expect(only(records, 20).signature?.message).toBe(
      'spp_portscan: PORTSCAN DETECTED from 203.0.113.26 (THRESHOLD 4 connections exceeded in 0 seconds)',
    );
  });

  it('reads syslog alerts with and without pid, with an interface, wrapped, ISO-dated, and a portscan', () => {
    const records = extractSnort(fixture('syslog.txt'));
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 8, 10]);
    expect(records.every((r) => r.format === 'snort-syslog')).toBe(true);
    const withPid = only(records, 2);
    expect(withPid.time).toEqual({ month: 9, day: 6, hour: 7, minute: 10, second: 23 });
    expect(withPid.signature).toEqual({
      id: '1:1002',
      rev: 2,
      message: 'WEB-IIS cmd.exe access',
      classification: 'Web Application Attack',
      priority: 1,
    });
    expect([withPid.src, withPid.sport, withPid.dst, withPid.dport, withPid.proto]).toEqual([
      '130.67.240.225',
      1450,
      '130.216.223.150',
      80,
      'tcp',
    ]);
    expect(only(records, 3).signature?.id).toBe('1:1243');
    expect(only(records, 4)).toMatchObject({ proto: 'icmp', src: '203.0.113.100', signature: { priority: 2 } });
    expect(only(records, 5).signature).toEqual({ message: 'IDS198/SYN FIN Scan' });
    expect(only(records, 6)).toMatchObject({ lineCount: 2, sport: 21, dport: 21 });
    expect(only(records, 8)).toMatchObject({ src: '203.0.113.3', dst: null });
    expect(only(records, 10).time).toEqual({
      year: 2003,
      month: 1,
      day: 25,
      hour: 5,
      minute: 30,
      second: 17,
      fraction: '305820',
      offsetMinutes: 0,
    });
  });
});

describe('extractSnort: header and line variants', () => {
  it('reads "Snort Alert!", an interface after the triple, and a time without fraction', () => {
    const records = extractSnort([
      '[**] Snort Alert! [**]',
      '02/01-00:00:01 192.0.2.9:1024 -> 192.0.2.10:25',
      'TCP TTL:64 TOS:0x10 ID:1 IpLen:20 DgmLen:44',
      '******S* Seq: 0x1  Ack: 0x0  Win: 0x200  TcpLen: 24',
      '',
      '[**] [1:1002:2]  <eth0> WEB-IIS cmd.exe access [**]',
      '02/01-00:00:02.5 192.0.2.9:1025 -> 192.0.2.10:80',
    ]);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      signature: { message: 'Snort Alert!' },
      srcFlags: 'S',
      payloadLen: 0,
      time: { month: 2, day: 1, hour: 0, minute: 0, second: 1 },
    });
    expect(records[0]?.time?.fraction).toBeUndefined();
    expect(records[1]).toMatchObject({
      signature: { id: '1:1002', rev: 2, message: 'WEB-IIS cmd.exe access' },
      proto: null,
      dport: 80,
      srcBytes: null,
      time: { fraction: '5' },
    });
  });

  it('reads a full alert whose lines a reflowing mail client joined', () => {
    const records = extractSnort([
      '[**] [1:1002:2] WEB-IIS cmd.exe access [**] [Classification: Web Application Attack] [Priority: 1]',
      '09/06-07:10:23.613276 130.67.240.225:1450 -> 130.216.223.150:80 TCP TTL:101 TOS:0x0 ID:24351 IpLen:20 DgmLen:1500 DF ***A**** Seq: 0xE68E61F7  Ack: 0xE5C99396  Win: 0x2238  TcpLen: 20',
      '',
      '[**] [1:1243:9] WEB-IIS ISAPI .ida attempt [**] 09/06-07:12:00.000001 198.51.100.78:1801 -> 192.0.2.45:80',
      '',
      '[**] [1:1:1] alerts look like this [**] and then the rest of the sentence 09/06-07:12:00.000001 1.2.3.4 -> 5.6.7.8',
    ]);
    expect(records.map((r) => [r.line, r.lineCount, r.src, r.dst, r.srcFlags, r.payloadLen, r.signature?.priority])).toEqual([
      [0, 2, '130.67.240.225', '130.216.223.150', 'A', 1460, 1],
      [3, 1, '198.51.100.78', '192.0.2.45', null, undefined, undefined],
    ]);
  });

  it('reads a syslog line without a host name', () => {
    expect(extractSnort(['Sep  6 07:10:23 snort[1]: [1:1002:2] WEB-IIS cmd.exe access [Priority: 1]: {TCP} 192.0.2.1:1450 -> 192.0.2.2:80'])).toMatchObject([
      { format: 'snort-syslog', src: '192.0.2.1', signature: { id: '1:1002', priority: 1 } },
    ]);
  });

  it('drops the double quotes Snort 3 puts around the message', () => {
    const records = extractSnort([
      '07/16-09:23:39.153899 [**] [1:1000000:0] "log4j exploit attempt" [**] [Priority: 0] {TCP} 192.168.1.2:50284 -> 192.168.2.3:80',
    ]);
    expect(records).toMatchObject([
      { format: 'snort-fast', signature: { id: '1:1000000', rev: 0, message: 'log4j exploit attempt', priority: 0 }, dport: 80 },
    ]);
  });

  it('reads an old fast alert without a {PROTO} mark', () => {
    const records = extractSnort(['03/07-11:10:40.910903  [**] IDS296/web-misc_http-directory-traversal [**] 192.0.2.1:3607 -> 198.51.100.2:80']);
    expect(records).toMatchObject([
      { format: 'snort-fast', proto: null, src: '192.0.2.1', sport: 3607, dst: '198.51.100.2', dport: 80 },
    ]);
    expect(extractSnort(['03/07-11:10:40.910903  [**] x [**] 192.0.2.1:3607 -> 198.51.100.2:80 and more words'])).toEqual([]);
  });
});

describe('extractSnort: what is not an alert', () => {
  it('ignores prose, rule text, tables, and fully masked alerts; nulls a masked side', () => {
    const records = extractSnort(fixture('mixed-prose.txt'));
    expect(records).toHaveLength(1);
    const r = records[0] as ExtractedRecord;
    expect(r.line).toBe(26);
    expect([r.src, r.sport, r.dst, r.dport]).toEqual(['130.67.240.225', 1460, null, 80]);
    expect(r.lineCount).toBe(5);
  });

  it('skips lines over 4096 characters and odd input without throwing', () => {
    const huge = `09/06-07:10:23.613276  [**] [1:1002:2] x [**] {TCP} 1.2.3.4:1 -> 5.6.7.8:80${' '.repeat(5000)}`;
    expect(extractSnort([huge])).toEqual([]);
    expect(extractSnort(['[**]', '[**]', '[**] [**]', '[**] a [**]'])).toEqual([]);
    expect(extractSnort(['[**] x [**]', '09/06-07:10:23.613276 999.1.1.1:1 -> 1.2.3.4:99999'])).toMatchObject([
      { src: null, dst: '1.2.3.4', dport: null },
    ]);
    expect(extractSnort([])).toEqual([]);
  });

  it('separates alerts that follow each other without blank lines', () => {
    const lines = [
      '[**] [1:1002:2] WEB-IIS cmd.exe access [**]',
      '09/06-07:10:23.613276 192.0.2.1:1450 -> 192.0.2.2:80',
      'TCP TTL:101 TOS:0x0 ID:24351 IpLen:20 DgmLen:1500 DF',
      '***A**** Seq: 0xE68E61F7  Ack: 0xE5C99396  Win: 0x2238  TcpLen: 20',
      '[**] [1:1002:2] WEB-IIS cmd.exe access [**]',
      '09/06-07:10:24.000001 192.0.2.1:1451 -> 192.0.2.3:80',
      'TCP TTL:101 TOS:0x0 ID:24352 IpLen:20 DgmLen:40 DF',
      '***A**** Seq: 0xE68E61F7  Ack: 0xE5C99396  Win: 0x2238  TcpLen: 20',
      'Which shows a single incoming packet.',
    ];
    const records = extractSnort(lines);
    expect(records.map((r) => [r.line, r.lineCount, r.dst, r.payloadLen])).toEqual([
      [0, 4, '192.0.2.2', 1460],
      [4, 4, '192.0.2.3', 0],
    ]);
  });
});

describe('field post: fixtures/field/github-snort3-176-alert-fast-hidden.txt (Snort 3 alert_fast)', () => {
  const line = readFileSync(new URL('../fixtures/field/github-snort3-176-alert-fast-hidden.txt', import.meta.url), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('21/04/27-')) as string;
  // the poster replaced both addresses by words; filled here with documentation addresses
  const filled = line.replace('src:60258', '192.0.2.1:60258').replace('dst:9771', '198.51.100.2:9771');

  it('as posted, with both addresses removed, gives no record', () => {
    expect(extractSnort([line])).toEqual([]);
  });

  it('reads the YY/MM/DD date Snort 3 prints (21/04/27 is 27 April 2021)', () => {
    const [rec] = extractSnort([filled.split('[\\*\\*]').join('[**]')]);
    expect(rec?.time).toEqual({ year: 2021, month: 4, day: 27, hour: 11, minute: 24, second: 48, fraction: '554835' });
    expect(rec?.signature).toMatchObject({ id: '119:34', rev: 1, message: '(http_inspect) too many pipelined requests', priority: 3 });
  });

  it('reads the line with the brackets Markdown-escaped as the poster pasted them ([\\*\\*])', () => {
    expect(filled).toContain('[\\*\\*]');
    const [rec] = extractSnort([filled]);
    expect([rec?.src, rec?.sport, rec?.dst, rec?.dport, rec?.signature?.id]).toEqual(['192.0.2.1', 60258, '198.51.100.2', 9771, '119:34']);
  });
});

describe('extractSnort: addresses as posts print them', () => {
  const fast = (addrs: string) => `09/06-07:10:23.613276  [**] [1:1002:2] WEB-IIS cmd.exe access [**] [Priority: 1] {TCP} ${addrs}`;
  it('reads parts with leading zeros as the address they name', () => {
    const [r] = extractSnort([fast('130.067.240.225:1450 -> 10.0.01.2:80')]);
    expect(r?.src).toBe('130.67.240.225');
    expect(r?.dst).toBe('10.0.1.2');
  });
  it('keeps an impossible address out of the record, not the alert', () => {
    const [r] = extractSnort([fast('130.67.240.225:1450 -> 10.0.256.2:80')]);
    expect(r?.src).toBe('130.67.240.225');
    expect(r?.dst).toBeNull();
    expect(r?.dport).toBe(80);
  });
});
