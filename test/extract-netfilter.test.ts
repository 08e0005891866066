import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractNetfilter } from '../src/extract/netfilter.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function fixture(name: string): string[] {
  return readFileSync(new URL(`../fixtures/extract/netfilter/${name}`, import.meta.url), 'utf8').split('\n');
}

function at(records: ExtractedRecord[], line: number): ExtractedRecord {
  const rec = records.find((r) => r.line === line);
  if (!rec) throw new Error(`no record at line ${line}`);
  return rec;
}

describe('iptables LOG lines', () => {
  const recs = extractNetfilter(fixture('iptables-log.txt'));

  it('finds every logged packet, once, and nothing else', () => {
    expect(recs.map((r) => [r.line, r.lineCount])).toEqual([
      [2, 1], [3, 1], [7, 3], [11, 2], [14, 1], [15, 1], [16, 1], [17, 1], [21, 2], [26, 1],
    ]);
    for (const r of recs) expect(r).toMatchObject({ source: 'netfilter', format: 'netfilter', singlePacket: true, srcPkts: 1, dir: '->' });
  });

  it("reads the seed's bare ACK+PSH with its syslog time and IP length", () => {
    expect(at(recs, 2)).toMatchObject({
      proto: 'tcp', src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, srcFlags: 'PA', dgmLen: 1500,
      time: { month: 9, day: 6, hour: 7, minute: 10, second: 23 },
    });
    expect(at(recs, 2).time?.year).toBeUndefined();
    expect(at(recs, 3)).toMatchObject({ srcFlags: 'S', dport: 22, dgmLen: 40 });
  });

  it('joins a record wrapped over three lines and reads the UDP payload length', () => {
    expect(at(recs, 7)).toMatchObject({ proto: 'udp', src: '198.51.100.99', sport: 1052, dport: 1434, dgmLen: 404, payloadLen: 376, srcFlags: null });
  });

  it('joins a prefix line to the fields on the next line', () => {
    expect(at(recs, 11)).toMatchObject({ proto: 'icmp', src: '203.0.113.9', icmpType: 8, icmpCode: 0, sport: null, time: { hour: 7, minute: 11, second: 5 } });
  });

  it('reads an ICMP error from its own fields, not the quoted packet', () => {
    expect(at(recs, 14)).toMatchObject({ src: '192.0.2.254', dst: '203.0.113.9', icmpType: 3, icmpCode: 1, dgmLen: 56 });
  });

  it('reads flag words: Xmas, NULL, SYN-ACK and ECN', () => {
    expect(at(recs, 15)).toMatchObject({ srcFlags: 'FPU', dport: 25 });
    expect(at(recs, 16)).toMatchObject({ srcFlags: '' });
    expect(at(recs, 17)).toMatchObject({ srcFlags: 'SA', time: { year: 2026, month: 11, day: 26, hour: 4, offsetMinutes: 60, fraction: '123456' } });
    expect(at(recs, 21)).toMatchObject({ srcFlags: 'S', src: '203.0.113.50', dport: 443 });
  });

  it('nulls a masked side and skips a record with both sides masked, and rule text', () => {
    expect(at(recs, 26)).toMatchObject({ src: '198.51.100.8', dst: null, dport: 445 });
    expect(recs.some((r) => r.line >= 27)).toBe(false);
  });
});

describe('ipchains Packet log lines', () => {
  const recs = extractNetfilter(fixture('ipchains.txt'));

  it('reads each line with protocol numbers turned into names', () => {
    expect(recs.map((r) => [r.line, r.lineCount, r.proto])).toEqual([
      [2, 1, 'tcp'], [3, 1, 'udp'], [4, 1, 'icmp'], [5, 1, 'tcp'], [9, 3, 'tcp'],
    ]);
    for (const r of recs) expect(r).toMatchObject({ source: 'netfilter', format: 'ipchains', singlePacket: true, srcPkts: 1 });
  });

  it('marks SYN only where ipchains printed it, and reads ICMP type and code from the port slots', () => {
    expect(at(recs, 2)).toMatchObject({ src: '198.51.100.51', sport: 4813, dst: '192.0.2.65', dport: 53, srcFlags: 'S', dgmLen: 60, time: { month: 4, day: 8, hour: 13, minute: 42, second: 48 } });
    expect(at(recs, 5)).toMatchObject({ srcFlags: null, dgmLen: 1500, sport: 1450, dport: 80 });
    expect(at(recs, 4)).toMatchObject({ icmpType: 8, icmpCode: 0, sport: null, dport: null });
    expect(at(recs, 3)).toMatchObject({ sport: 137, dport: 137, srcFlags: null });
  });

  it('joins the real-world three-line wrap', () => {
    expect(at(recs, 9)).toMatchObject({ src: '198.51.100.2', sport: 3024, dst: '192.0.2.203', dport: 111, srcFlags: 'S', time: { month: 7, day: 7 } });
  });
});

describe('robustness', () => {
  it('skips lines over 4096 characters and templates', () => {
    const long = `Sep  6 07:10:23 gw kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=40 PROTO=TCP SPT=1 DPT=2 SYN URGP=0 ${'A'.repeat(5000)}`;
    expect(extractNetfilter([long, 'IN=<if> OUT=<if> SRC=<ip> DST=<ip> LEN= PROTO=<TCP|UDP|ICMP> SPT= DPT=', ''])).toEqual([]);
  });

  it('mends an address or a hex value that a hard wrap cut in two', () => {
    const recs = extractNetfilter([
      'Sep  6 07:10:23 gw kernel: DROP IN=eth0 OUT= MAC=00:e0:1e:8e:31:71:00:00:0c:46:5c:d1:08:00 SRC=130.67.24',
      '0.225 DST=130.216.223.150 LEN=1500 TOS=0x',
      '00 PREC=0x00 TTL=101 ID=24351 DF PROTO=TCP SPT=1450 DPT=80 WINDOW=8760 RES=0x00 ACK PSH URGP=0',
    ]);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ line: 0, lineCount: 3, src: '130.67.240.225', dst: '130.216.223.150', sport: 1450, srcFlags: 'PA' });
  });

  it('reads a dmesg line without a syslog stamp', () => {
    const [rec] = extractNetfilter(['[  145.545548] [UFW BLOCK] IN=eth0 OUT= MAC=01:00:5e:00:00:fb:00:60:4c:42:12:9a:08:00 SRC=192.0.2.1 DST=224.0.0.251 LEN=28 TOS=0x00 PREC=0x00 TTL=1 ID=5287 PROTO=2']);
    expect(rec).toMatchObject({ time: null, proto: 'igmp', src: '192.0.2.1', dst: '224.0.0.251', dgmLen: 28 });
  });
});

describe('field posts', () => {
  const field = (name: string): string[] =>
    readFileSync(new URL(`../fixtures/field/${name}`, import.meta.url), 'utf8').split('\n');

  it('fixtures/field/github-f2b-blacklist-2-iptables-quoted.txt: a line with Markdown emphasis (**OUT=**) is still read', () => {
    const recs = extractNetfilter(field('github-f2b-blacklist-2-iptables-quoted.txt'));
    expect(recs.map((r) => [r.src, r.sport, r.dst, r.dport, r.proto])).toEqual([['95.141.35.200', 5070, null, 5060, 'udp']]);
    expect(recs[0]?.time).toMatchObject({ month: 5, day: 11, hour: 14, minute: 9, second: 57 });
  });

  it('fixtures/field/github-ipset-asus-51-iptables-masked.txt: a line cut after SPT=57 keeps its source but not the cut port', () => {
    const recs = extractNetfilter(field('github-ipset-asus-51-iptables-masked.txt'));
    expect(recs.map((r) => [r.src, r.sport, r.dst, r.dport])).toEqual([
      ['123.14.87.235', 1361, null, 23],
      ['106.75.13.173', 58914, null, 67],
      ['78.154.18.99', 53009, null, 53803],
      ['17.57.144.4', 443, null, 63528],
      ['192.241.218.169', null, null, null],
    ]);
  });
});

describe('field posts: what the firewall did with the packet', () => {
  const field = (name: string): string[] =>
    readFileSync(new URL(`../fixtures/field/${name}`, import.meta.url), 'utf8').split('\n');

  it('a DROP / "Drop Incomming:" prefix marks the packet discarded; "iptables DOS:" and "IN-work:" do not', () => {
    expect(extractNetfilter(field('github-fail2ban-2481-iptables-drop.txt')).map((r) => r.discarded)).toEqual([true]);
    expect(extractNetfilter(field('github-ipset-asus-51-iptables-masked.txt')).every((r) => r.discarded === true)).toBe(true);
    expect(extractNetfilter(field('github-fail2ban-2792-iptables-physin.txt')).map((r) => r.discarded)).toEqual([undefined]);
    expect(extractNetfilter(field('github-netdata-2047-iptables-udp137.txt')).map((r) => r.discarded)).toEqual([undefined, undefined]);
  });
});
