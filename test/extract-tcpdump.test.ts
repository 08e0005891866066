import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractTcpdump } from '../src/extract/tcpdump.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function fixture(name: string): string[] {
  return readFileSync(new URL(`../fixtures/extract/tcpdump/${name}`, import.meta.url), 'utf8').split('\n');
}

function at(records: ExtractedRecord[], line: number): ExtractedRecord {
  const rec = records.find((r) => r.line === line);
  if (!rec) throw new Error(`no record at line ${line}`);
  return rec;
}

/** the fields every layout of the same packets must agree on */
function core(r: ExtractedRecord) {
  return {
    proto: r.proto,
    src: r.src,
    sport: r.sport,
    dst: r.dst,
    dport: r.dport,
    srcFlags: r.srcFlags,
    payloadLen: r.payloadLen,
    icmpType: r.icmpType,
    icmpCode: r.icmpCode,
    hms: r.time ? [r.time.hour, r.time.minute, r.time.second, r.time.fraction] : null,
  };
}

describe('tcpdump 4.x output of the crafted pcap (fixtures/pcap/tcpdump-gen.sh)', () => {
  const n = extractTcpdump(fixture('new-n.txt'));

  it('finds one record per packet line', () => {
    expect(n).toHaveLength(27);
    expect(n.map((r) => r.line)).toEqual([...Array(27).keys()]);
    for (const r of n) {
      expect(r).toMatchObject({ source: 'tcpdump', format: 'tcpdump', lineCount: 1, singlePacket: true, srcPkts: 1, dir: '->' });
    }
  });

  it('reads the SYN scan and its answers', () => {
    expect(at(n, 0)).toMatchObject({
      proto: 'tcp', src: '198.51.100.7', sport: 41000, dst: '192.0.2.10', dport: 22, srcFlags: 'S', payloadLen: 0,
      time: { hour: 7, minute: 10, second: 23, fraction: '010000' },
    });
    expect(at(n, 3)).toMatchObject({ src: '192.0.2.10', sport: 22, dst: '198.51.100.7', dport: 41000, srcFlags: 'RA' });
    expect(at(n, 4)).toMatchObject({ src: '192.0.2.10', sport: 80, srcFlags: 'SA' });
    expect(at(n, 5)).toMatchObject({ srcFlags: 'R' });
  });

  it('reads the handshake, data and close', () => {
    expect(at(n, 8)).toMatchObject({ srcFlags: 'A', payloadLen: 0 });
    expect(at(n, 9)).toMatchObject({ srcFlags: 'PA', payloadLen: 41, payload: { bytes: 41, strings: ['GET / HTTP/1.0'] } });
    expect(at(n, 11)).toMatchObject({ srcFlags: 'FA', src: '192.0.2.20' });
  });

  it("reads the seed's bare ACK with 1460 bytes of Code Red and the RST that answered it", () => {
    const ack = at(n, 14);
    expect(ack).toMatchObject({ src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, srcFlags: 'A', payloadLen: 1460 });
    expect(ack.payload?.strings[0]).toMatch(/^GET \/default\.ida\?N+%u9090/);
    expect(at(n, 15)).toMatchObject({ src: '130.216.223.150', srcFlags: 'R', payloadLen: 0 });
  });

  it('reads UDP and ICMP', () => {
    expect(at(n, 16)).toMatchObject({ proto: 'udp', sport: 1052, dport: 1434, payloadLen: 376, srcFlags: null });
    expect(at(n, 17)).toMatchObject({ proto: 'icmp', src: '192.0.2.30', sport: null, dport: null, icmpType: 3, icmpCode: 3, payloadLen: 44 });
    expect(at(n, 18)).toMatchObject({ proto: 'icmp', icmpType: 8, icmpCode: 0, payloadLen: 64 });
    expect(at(n, 19)).toMatchObject({ icmpType: 0, icmpCode: 0 });
    expect(at(n, 21)).toMatchObject({ src: '192.0.2.254', icmpType: 3, icmpCode: 1 });
  });

  it('reads FIN, NULL and Xmas probes, SYN-ACK backscatter and ECN flags', () => {
    expect(at(n, 22).srcFlags).toBe('F');
    expect(at(n, 23).srcFlags).toBe('');
    expect(at(n, 24).srcFlags).toBe('FPU');
    expect(at(n, 25)).toMatchObject({ src: '192.0.2.77', sport: 80, dport: 1024, srcFlags: 'SA' });
    expect(at(n, 26).srcFlags).toBe('S'); // [SEW]: ECE/CWR are not in FSRPAU
  });

  it('gives the same packets with -nn, service names, -e and -tttt', () => {
    const want = n.map(core);
    expect(extractTcpdump(fixture('new-nn.txt')).map(core)).toEqual(want);
    expect(extractTcpdump(fixture('new-names.txt')).map(core)).toEqual(want);
    expect(extractTcpdump(fixture('new-e.txt')).map(core)).toEqual(want);
    const tttt = extractTcpdump(fixture('new-tttt.txt'));
    expect(tttt.map(core)).toEqual(want);
    for (const r of tttt) expect(r.time).toMatchObject({ year: 2001, month: 9, day: 6 });
  });

  it('turns service names into ports', () => {
    const names = extractTcpdump(fixture('new-names.txt'));
    expect(at(names, 0).dport).toBe(22);
    expect(at(names, 2).dport).toBe(443);
    expect(at(names, 16).dport).toBe(1434);
  });

  it('reads -tt epoch times', () => {
    const tt = extractTcpdump(fixture('new-tt.txt'));
    expect(tt).toHaveLength(6);
    expect(tt[0]?.time).toMatchObject({ epoch: 999760226, year: 2001, month: 9, day: 6, hour: 7, minute: 10, second: 26, offsetMinutes: 0 });
  });

  it('joins the two-line -v records, takes the IP length, and swallows the packet an ICMP error quotes', () => {
    const v = extractTcpdump(fixture('new-v.txt'));
    expect(v).toHaveLength(27);
    expect(v.map(core)).toEqual(n.map(core).map((c) => ({ ...c, payloadLen: c.payloadLen })));
    expect(v[0]).toMatchObject({ line: 0, lineCount: 2, dgmLen: 40 });
    const codeRed = v.find((r) => r.src === '130.67.240.225');
    expect(codeRed).toMatchObject({ dgmLen: 1500, payloadLen: 1460, lineCount: 3 });
    expect(codeRed?.payload?.strings[0]).toMatch(/^GET \/default\.ida\?/);
    const unreachable = v.find((r) => r.icmpType === 3 && r.icmpCode === 3);
    expect(unreachable?.lineCount).toBe(4);
  });

  it('keeps the -X hex dump with its packet and reads the payload strings', () => {
    const x = extractTcpdump(fixture('new-X.txt'));
    expect(x).toHaveLength(2);
    expect(x[0]).toMatchObject({ line: 0, lineCount: 95, srcFlags: 'A', payloadLen: 1460 });
    expect(x[0]?.payload?.strings.join(' ')).toContain('GET /default.ida?NNNN');
    expect(x[1]).toMatchObject({ line: 95, lineCount: 4, srcFlags: 'R' });
    expect(x[1]?.payload).toBeUndefined();
  });
});

describe('tcpdump 3.x output (hand-written fixture)', () => {
  const old = extractTcpdump(fixture('old-3x.txt'));

  it('finds every packet line and no prose', () => {
    expect(old.map((r) => r.line)).toEqual([7, 8, 12, 13, 14, 15, 16, 20, 21, 25, 26, 27, 28, 29, 30, 34, 36, 41, 42, 46, 47, 51, 52, 56]);
  });

  it('takes the IP length from the 3.x -v trailer', () => {
    expect(at(old, 56)).toMatchObject({ srcFlags: 'A', payloadLen: 1460, dgmLen: 1500 });
    expect(at(old, 7).dgmLen).toBeUndefined();
  });

  it('skips the 3.x -e link-layer part', () => {
    expect(at(old, 51)).toMatchObject({ src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, srcFlags: 'A', payloadLen: 1460 });
    expect(at(old, 52)).toMatchObject({ src: '130.216.223.150', srcFlags: 'R' });
  });

  it('reads the old flag field: "." is no flag, "ack N" adds A, "urg N" adds U', () => {
    expect(at(old, 7)).toMatchObject({ src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, srcFlags: 'A', payloadLen: 1460 });
    expect(at(old, 8)).toMatchObject({ srcFlags: 'R', payloadLen: 0 });
    expect(at(old, 13)).toMatchObject({ srcFlags: 'SA' });
    expect(at(old, 14)).toMatchObject({ srcFlags: 'A', payloadLen: 0 });
    expect(at(old, 15)).toMatchObject({ srcFlags: 'PA', payloadLen: 287 });
    expect(at(old, 16)).toMatchObject({ srcFlags: 'FA' });
    expect(at(old, 21)).toMatchObject({ srcFlags: 'RA', sport: 0 });
    expect(at(old, 46)).toMatchObject({ srcFlags: 'FPU' });
    expect(at(old, 47)).toMatchObject({ srcFlags: '' });
  });

  it('keeps host names as printed and maps www to 80', () => {
    expect(at(old, 12)).toMatchObject({ src: 'electra.example.net', sport: 1057, dst: 'artemis.example.net', dport: 80 });
    expect(at(old, 30)).toMatchObject({ proto: 'icmp', src: 'spoofed.pound.example.net', dst: '192.0.2.255', icmpType: 8 });
    expect(at(old, 30).time).toMatchObject({ hour: 0, minute: 0, second: 5, fraction: '327' });
  });

  it('reads old UDP and ICMP, with the Linux in/out marker', () => {
    expect(at(old, 25)).toMatchObject({ proto: 'udp', src: '198.51.100.99', sport: 1052, dport: 1434, payloadLen: 376 });
    expect(at(old, 26)).toMatchObject({ proto: 'icmp', src: '192.0.2.30', icmpType: 3, icmpCode: 3 });
    expect(at(old, 27)).toMatchObject({ icmpType: 8, src: '192.0.2.1', dst: '192.0.2.4' });
    expect(at(old, 28)).toMatchObject({ icmpType: 0 });
    expect(at(old, 29)).toMatchObject({ src: 'router.example.net', icmpType: 3, icmpCode: 1 });
  });

  it('joins lines the mail client broke', () => {
    expect(at(old, 34)).toMatchObject({ lineCount: 2, srcFlags: 'S', dport: 23, payloadLen: 0 });
    expect(at(old, 36)).toMatchObject({ lineCount: 2, srcFlags: 'PA', payloadLen: 27 });
  });

  it('joins 4.x lines broken after "win", after ">" and after "Flags"', () => {
    const recs = extractTcpdump([
      '07:10:24.003000 IP 203.0.113.5.40000 > 192.0.2.20.80: Flags [P.], seq 1:42, ack 1, win',
      '64240, length 41: HTTP: GET / HTTP/1.0',
      '07:10:25.000000 IP 130.67.240.225.1450 >',
      '130.216.223.150.80: Flags [.], seq 1:1461, ack 1, win 8760, length 1460',
      '07:10:25.000000 IP 130.67.240.225.1450 > 130.216.223.150.80: Flags',
      '[.], seq 1:1461, ack 1, win 8760, length 1460',
      'Which is odd.',
    ]);
    expect(recs.map((r) => [r.line, r.lineCount, r.srcFlags, r.payloadLen])).toEqual([[0, 2, 'PA', 41], [2, 2, 'A', 1460], [4, 2, 'A', 1460]]);
  });

  it('accepts TCP lines pasted without a timestamp', () => {
    expect(at(old, 41)).toMatchObject({ time: null, src: 'client.example.com', dport: 23, srcFlags: 'S' });
    expect(at(old, 42)).toMatchObject({ time: null, srcFlags: 'SA' });
  });
});

describe('what is not a tcpdump record', () => {
  it('skips prose, commands and rule text', () => {
    const lines = [
      'I ran tcpdump -i eth0 -n port 80 > /tmp/x and saw nothing.',
      'tcpdump: verbose output suppressed, use -v or -vv for full protocol decode',
      'listening on eth0, link-type EN10MB (Ethernet), capture size 262144 bytes',
      '3 packets captured',
      'a > b: c',
      '07:10:23.1 is when the 130.67.240.225.1450 > 130.216.223.150.80 packet arrived',
      '07:10:23.613276 ARP, Request who-has 192.0.2.1 tell 192.0.2.2, length 28',
      '    198.51.100.99.1052 > 192.0.2.30.1434: UDP, length 8',
    ];
    expect(extractTcpdump(lines)).toEqual([]);
  });

  it('nulls a masked side and skips a record with both sides masked', () => {
    const recs = extractTcpdump([
      '07:10:23.613276 IP 130.67.240.225.1450 > 130.216.x.x.80: Flags [.], ack 1, win 8760, length 1460',
      '07:10:23.613277 IP x.x.x.x.1450 > a.b.c.d.80: Flags [.], ack 1, win 8760, length 1460',
      '07:10:23.613278 xxx.xxx.xxx.xxx.1450 > 130.216.223.150.80: . 1:1461(1460) ack 1 win 8760 (DF)',
    ]);
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({ line: 0, src: '130.67.240.225', dst: null, dport: 80, srcFlags: 'A' });
    expect(recs[1]).toMatchObject({ line: 2, src: null, sport: 1450, dst: '130.216.223.150' });
  });

  it('skips lines longer than 4096 characters', () => {
    const long = `07:10:23.613276 IP 1.2.3.4.1 > 5.6.7.8.80: Flags [S], seq 1, win 512, length 0 ${'x'.repeat(5000)}`;
    expect(extractTcpdump([long])).toEqual([]);
  });

  it('reads a tcpdump -i any line with its interface and direction', () => {
    const [rec] = extractTcpdump(['07:10:23.613276 eth0  In  IP 198.51.100.7.41000 > 192.0.2.10.22: Flags [S], seq 1, win 1024, length 0']);
    expect(rec).toMatchObject({ src: '198.51.100.7', dport: 22, srcFlags: 'S' });
  });

  it('takes ported lines that tcpdump decoded (DNS, NTP) as UDP, and skips unported unknown protocols', () => {
    const recs = extractTcpdump([
      '07:10:23.1 foo > bar: baz',
      '07:10:23.613276 IP 192.0.2.1 > 224.0.0.5: OSPFv2, Hello, length 44',
      '07:10:23.613276 IP 198.51.100.3.33333 > 192.0.2.2.domain: 15154+ A? www.example.com. (33)',
      '07:10:23.613276 IP 198.51.100.3.123 > 192.0.2.2.123: NTPv4, Client, length 48',
    ]);
    expect(recs.map((r) => [r.line, r.proto, r.dport, r.payloadLen])).toEqual([[2, 'udp', 53, 33], [3, 'udp', 123, 48]]);
  });

  it('reads -t lines (no time, but "IP") of any protocol, and indented lines that have a time', () => {
    const recs = extractTcpdump([
      'IP 1.2.3.4.1450 > 5.6.7.8.80: Flags [S.], seq 1, ack 2, win 8760, length 0',
      'IP 198.51.100.99.1052 > 192.0.2.30.1434: UDP, length 376',
      '    07:10:23.613276 IP 203.0.113.9 > 192.0.2.40: ICMP echo request, id 1, seq 1, length 64',
      '    198.51.100.99.1052 > 192.0.2.30.1434: UDP, length 376',
    ]);
    expect(recs.map((r) => [r.line, r.proto, r.srcFlags, r.time === null])).toEqual([
      [0, 'tcp', 'SA', true],
      [1, 'udp', null, true],
      [2, 'icmp', null, false],
    ]);
  });

  it('reads pflog lines (tcpdump -e on an OpenBSD pflog)', () => {
    const recs = extractTcpdump([
      'Mar 30 17:47:40.390143 rule 2/(match) pass in on lo0: 127.0.0.1 > 127.0.0.1: icmp: echo reply',
      'Mar 30 17:47:41.101010 rule 3/(match) block in on xl0: 198.51.100.99.1052 > 192.0.2.30.1434:  udp 376',
    ]);
    expect(recs.map((r) => [r.line, r.proto, r.dport, r.payloadLen, r.icmpType])).toEqual([[0, 'icmp', null, undefined, 0], [1, 'udp', 1434, 376, undefined]]);
    expect(recs[1]?.time).toEqual({ month: 3, day: 30, hour: 17, minute: 47, second: 41, fraction: '101010' });
  });

  it('reads IPv6', () => {
    const [rec] = extractTcpdump(['07:10:23.613276 IP6 2001:db8::1.41000 > 2001:db8::2.80: Flags [S], seq 1, win 1024, length 0']);
    expect(rec).toMatchObject({ src: '2001:db8::1', sport: 41000, dst: '2001:db8::2', dport: 80, srcFlags: 'S' });
  });
});

describe('field post: fixtures/field/github-phantun-159-tcpdump-v.txt', () => {
  it('reads the placeholder name remote.host.ip as a hidden address, not as a host', () => {
    const text = readFileSync(new URL('../fixtures/field/github-phantun-159-tcpdump-v.txt', import.meta.url), 'utf8');
    const recs = extractTcpdump(text.split('\n'));
    expect(recs).toHaveLength(5);
    expect(recs.map((r) => [r.src, r.sport, r.dst, r.dport, r.srcFlags])).toEqual([
      [null, 21080, '222.209.232.58', 8593, 'R'],
      ['222.209.232.58', 7815, null, 21080, 'S'],
      [null, 21080, '222.209.232.58', 7815, 'SA'],
      ['222.209.232.58', 7815, null, 21080, 'S'],
      [null, 21080, '222.209.232.58', 7815, 'SA'],
    ]);
  });
});

describe('field post: a -v packet line whose header line the paste cut off', () => {
  it('fixtures/field/github-phantun-159-tcpdump-v.txt starts mid-record: its RST line is still a record, without a time', () => {
    const text = readFileSync(new URL('../fixtures/field/github-phantun-159-tcpdump-v.txt', import.meta.url), 'utf8');
    const [first] = extractTcpdump(text.split('\n'));
    expect(first).toMatchObject({ src: null, sport: 21080, dst: '222.209.232.58', dport: 8593, srcFlags: 'R', time: null });
  });

  it('an indented line that only looks like prose is not taken', () => {
    expect(extractTcpdump(['    the host > the router: Flags are set by the kernel'])).toEqual([]);
  });
});
