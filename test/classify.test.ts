import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../src/classify/classify.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function argus(over: Partial<ExtractedRecord>): ExtractedRecord {
  return {
    source: 'argus',
    format: 'argus-ra',
    line: 0,
    lineCount: 1,
    time: { year: 2001, month: 9, day: 6, hour: 0, minute: 2, second: 34 },
    proto: 'tcp',
    src: '130.67.216.237',
    sport: 3339,
    dst: '130.216.246.91',
    dport: 80,
    dir: '?>',
    srcPkts: 1,
    dstPkts: 0,
    srcBytes: 1460,
    dstBytes: 0,
    srcFlags: 'A',
    dstFlags: '',
    state: 'A_',
    ...over,
  };
}

function packet(over: Partial<ExtractedRecord>): ExtractedRecord {
  return argus({
    source: 'tcpdump',
    format: 'tcpdump',
    dir: null,
    srcPkts: null,
    dstPkts: null,
    srcBytes: null,
    dstBytes: null,
    dstFlags: null,
    state: null,
    singlePacket: true,
    ...over,
  });
}

describe('classifyRecord: TCP with -Zb flags', () => {
  it('?> A_ with nothing back is midstream-unanswered, with the seed evidence sentence', () => {
    const c = classifyRecord(argus({}));
    expect(c.class).toBe('midstream-unanswered');
    expect(c.actor).toBe('130.67.216.237');
    expect(c.target).toBe('130.216.246.91');
    expect(c.evidence).toBe(
      '?> with flags A_ and 1 packet/1460 bytes from 130.67.216.237, nothing back: ACK-only segments carrying data without a handshake.',
    );
  });

  it('A_R and A_RPA are midstream-reset', () => {
    expect(classifyRecord(argus({ dstPkts: 1, dstBytes: 60, dstFlags: 'R', state: 'A_R' })).class).toBe('midstream-reset');
    const c = classifyRecord(argus({ dstPkts: 1, dstBytes: 0, dstFlags: 'RPA', state: 'A_RPA', srcPkts: 1, srcBytes: 1460 }));
    expect(c.class).toBe('midstream-reset');
    expect(c.evidence).toContain('A_RPA');
    expect(c.actor).toBe('130.67.216.237');
  });

  it('<?> A_R from a real ra (both arrows, no handshake) is midstream-reset', () => {
    const c = classifyRecord(argus({ dir: '<?>', srcPkts: 1, dstPkts: 1, srcBytes: 1514, dstBytes: 54, dstFlags: 'R', state: 'A_R' }));
    expect(c.class).toBe('midstream-reset');
    expect(c.actor).toBe('130.67.216.237');
  });

  it('PSH-ACK without a handshake is midstream-unanswered and says PSH-ACK', () => {
    const c = classifyRecord(argus({ srcFlags: 'PA', state: 'PA_' }));
    expect(c.class).toBe('midstream-unanswered');
    expect(c.evidence).toContain('PSH-ACK');
  });

  it('S_ is syn-unanswered, S_RA syn-rejected, FSPA_FSPA established', () => {
    const base = { src: '203.0.113.5', dst: '192.0.2.30', dir: '->', srcBytes: 108, srcPkts: 2 };
    expect(classifyRecord(argus({ ...base, srcFlags: 'S', state: 'S_' })).class).toBe('syn-unanswered');
    const rej = classifyRecord(argus({ ...base, srcPkts: 1, dstPkts: 1, srcBytes: 54, dstBytes: 54, srcFlags: 'S', dstFlags: 'RA', state: 'S_RA' }));
    expect(rej.class).toBe('syn-rejected');
    expect(rej.actor).toBe('203.0.113.5');
    const est = classifyRecord(argus({ ...base, srcPkts: 5, dstPkts: 4, srcBytes: 288, dstBytes: 240, srcFlags: 'FSPA', dstFlags: 'FSPA', state: 'FSPA_FSPA' }));
    expect(est.class).toBe('established');
  });

  it('SA_ is backscatter with the SYN-ACK sender as actor', () => {
    const c = classifyRecord(argus({ src: '192.0.2.40', sport: 80, dst: '203.0.113.50', dport: 31337, dir: '->', srcPkts: 2, srcBytes: 108, srcFlags: 'SA', state: 'SA_' }));
    expect(c.class).toBe('backscatter');
    expect(c.actor).toBe('192.0.2.40');
    expect(c.target).toBe('203.0.113.50');
  });

  it('R_ and RA_ are backscatter', () => {
    expect(classifyRecord(argus({ srcFlags: 'R', state: 'R_', srcBytes: 54 })).class).toBe('backscatter');
    expect(classifyRecord(argus({ srcFlags: 'RA', state: 'RA_', srcBytes: 54 })).class).toBe('backscatter');
  });

  it('the contract example: <? with 0 1 0 54 _RA is a reset sent by the printed dst → backscatter, actor 192.0.2.201', () => {
    const c = classifyRecord(
      argus({ src: '198.51.100.120', sport: 3000, dst: '192.0.2.201', dport: 6667, dir: '<?', srcPkts: 0, dstPkts: 1, srcBytes: 0, dstBytes: 54, srcFlags: '', dstFlags: 'RA', state: '_RA' }),
    );
    expect(c.class).toBe('backscatter');
    expect(c.actor).toBe('192.0.2.201');
    expect(c.target).toBe('198.51.100.120');
    expect(c.evidence).toContain('<?');
    expect(c.evidence).toContain('1 packet/54 bytes from 192.0.2.201');
  });

  it('<- with SYN from the printed dst is oriented dst-first', () => {
    const c = classifyRecord(argus({ src: '192.0.2.30', sport: 80, dst: '203.0.113.5', dport: 1025, dir: '<-', srcPkts: 0, dstPkts: 2, srcBytes: 0, dstBytes: 108, srcFlags: '', dstFlags: 'S', state: '_S' }));
    expect(c.class).toBe('syn-unanswered');
    expect(c.actor).toBe('203.0.113.5');
    expect(c.target).toBe('192.0.2.30');
  });

  it('<-> with the SYN on the printed dst side takes dst as the originator', () => {
    const c = classifyRecord(argus({ src: '192.0.2.30', dst: '203.0.113.5', dir: '<->', srcPkts: 1, dstPkts: 1, srcBytes: 54, dstBytes: 54, srcFlags: 'RA', dstFlags: 'S', state: 'RA_S' }));
    expect(c.class).toBe('syn-rejected');
    expect(c.actor).toBe('203.0.113.5');
  });

  it('<?> where the other end only sent SYN-ACK and got a reset: backscatter of that end', () => {
    const c = classifyRecord(argus({ src: '192.0.2.9', dst: '198.51.100.7', dir: '<?>', srcPkts: 1, dstPkts: 1, srcBytes: 54, dstBytes: 54, srcFlags: 'R', dstFlags: 'SA', state: 'R_SA' }));
    expect(c.class).toBe('backscatter');
    expect(c.actor).toBe('198.51.100.7');
    expect(c.target).toBe('192.0.2.9');
  });

  it('FIN, NULL, SYN-FIN and Xmas without a handshake are stealth probes', () => {
    for (const [flags, state] of [['F', 'F_'], ['', '_'], ['FS', 'FS_'], ['FPU', 'FPU_']] as const) {
      const c = classifyRecord(argus({ srcFlags: flags, state, srcBytes: 54 }));
      expect(c.class, state).toBe('stealth-probe');
    }
  });

  it('FIN answered by RST is still a stealth probe', () => {
    expect(classifyRecord(argus({ srcFlags: 'F', dstFlags: 'RA', state: 'F_RA', dstPkts: 1, dstBytes: 54, dir: '<?>' })).class).toBe('stealth-probe');
  });
});

describe('classifyRecord: state words and totals', () => {
  const totals = { totalsOnly: true, dstPkts: null, dstBytes: null, srcFlags: null, dstFlags: null };
  it('default state words from a real ra run', () => {
    expect(classifyRecord(argus({ ...totals, dir: '->', srcPkts: 2, srcBytes: 108, state: 'REQ' })).class).toBe('syn-unanswered');
    expect(classifyRecord(argus({ ...totals, dir: '?>', srcPkts: 1, srcBytes: 1514, state: 'CON' })).class).toBe('midstream-unanswered');
    expect(classifyRecord(argus({ ...totals, dir: '<?>', srcPkts: 2, srcBytes: 1568, state: 'RST' })).class).toBe('midstream-reset');
    expect(classifyRecord(argus({ ...totals, dir: '?>', srcPkts: 1, srcBytes: 54, state: 'RST' })).class).toBe('backscatter');
    expect(classifyRecord(argus({ ...totals, dir: '?>', srcPkts: 1, srcBytes: 54, state: 'FIN' })).class).toBe('stealth-probe');
  });
  it('per-side counts with state words', () => {
    expect(classifyRecord(argus({ dir: '->', srcFlags: null, dstFlags: null, srcPkts: 5, dstPkts: 4, srcBytes: 500, dstBytes: 900, state: 'FIN' })).class).toBe('established');
    expect(classifyRecord(argus({ dir: '->', srcFlags: null, dstFlags: null, srcPkts: 1, dstPkts: 1, srcBytes: 60, dstBytes: 54, state: 'RST' })).class).toBe('syn-rejected');
  });
  it('-z state letters', () => {
    expect(classifyRecord(argus({ ...totals, dir: '->', srcPkts: 2, srcBytes: 108, state: 's' })).class).toBe('syn-unanswered');
    expect(classifyRecord(argus({ ...totals, dir: '?>', srcPkts: 1, srcBytes: 1514, state: 'E' })).class).toBe('midstream-unanswered');
    expect(classifyRecord(argus({ ...totals, dir: '<?>', srcPkts: 2, srcBytes: 1568, state: 'ER' })).class).toBe('midstream-reset');
  });
  it('Zeek conn_state', () => {
    expect(classifyRecord(argus({ source: 'zeek', format: 'zeek-conn', dir: null, srcFlags: null, dstFlags: null, state: 'S0' })).class).toBe('syn-unanswered');
    expect(classifyRecord(argus({ source: 'zeek', format: 'zeek-conn', dir: null, srcFlags: null, dstFlags: null, state: 'REJ' })).class).toBe('syn-rejected');
  });
  it('an unknown state says what is missing', () => {
    const c = classifyRecord(argus({ ...totals, dir: null, srcPkts: 3, state: 'XYZ' }));
    expect(c.class).toBe('unknown');
    expect(c.evidence).toMatch(/does not decide/);
  });
});

describe('classifyRecord: UDP and ICMP', () => {
  it('udp INT one-sided is unanswered, CON both ways answered', () => {
    expect(classifyRecord(argus({ proto: 'udp', dir: '->', srcFlags: null, dstFlags: null, state: 'INT', srcPkts: 1, dstPkts: 0, srcBytes: 418 })).class).toBe('udp-unanswered');
    expect(classifyRecord(argus({ proto: 'udp', dir: '<->', srcFlags: null, dstFlags: null, state: 'CON', srcPkts: 1, dstPkts: 1, srcBytes: 82, dstBytes: 82 })).class).toBe('udp-answered');
    expect(classifyRecord(argus({ proto: 'udp', dir: '<->', totalsOnly: true, srcFlags: null, dstFlags: null, state: 'CON', srcPkts: 2, dstPkts: null, srcBytes: 164, dstBytes: null })).class).toBe('udp-answered');
  });
  it('icmp echo answered / unanswered, errors, lone replies', () => {
    const icmp = { proto: 'icmp', sport: null, dport: null, srcFlags: null, dstFlags: null };
    expect(classifyRecord(argus({ ...icmp, dir: '->', state: 'ECO', srcPkts: 1, dstPkts: 0, srcBytes: 98 })).class).toBe('icmp-echo-unanswered');
    expect(classifyRecord(argus({ ...icmp, dir: '<->', state: 'ECO', srcPkts: 1, dstPkts: 1, srcBytes: 98, dstBytes: 98 })).class).toBe('icmp-echo-answered');
    expect(classifyRecord(argus({ ...icmp, dir: '->', state: 'URP', srcPkts: 1, srcBytes: 70 })).class).toBe('icmp-error');
    expect(classifyRecord(argus({ ...icmp, dir: '->', state: 'TXD', srcPkts: 1, srcBytes: 70 })).class).toBe('icmp-error');
    expect(classifyRecord(argus({ ...icmp, dir: '->', state: 'ECR', srcPkts: 1, srcBytes: 98 })).class).toBe('backscatter');
  });
});

describe('classifyRecord: single packets', () => {
  it('a Snort ACK alert is an alert, and a bare cmd.exe signature names no family', () => {
    const c = classifyRecord(
      packet({ source: 'snort', format: 'snort-full', srcFlags: 'A', signature: { message: 'WEB-IIS cmd.exe access' }, dgmLen: 1500 }),
    );
    expect(c.class).toBe('alert');
    expect(c.family).toBeUndefined();
    expect(c.evidence).toMatch(/Nimda and Code Red II/);
  });
  it('stealth flag sets in one packet decide stealth-probe', () => {
    for (const flags of ['F', '', 'FS', 'FPU']) {
      expect(classifyRecord(packet({ srcFlags: flags })).class, flags).toBe('stealth-probe');
    }
  });
  it('a lone SYN log line is unknown and says what is missing', () => {
    const c = classifyRecord(packet({ srcFlags: 'S', src: '1.2.3.4', dst: '5.6.7.8' }));
    expect(c.class).toBe('unknown');
    expect(c.evidence).toContain('nothing shows whether 5.6.7.8 answered');
  });
  it('an ICMP error packet is icmp-error; an echo log line unknown', () => {
    expect(classifyRecord(packet({ proto: 'icmp', srcFlags: null, icmpType: 3, icmpCode: 3 })).class).toBe('icmp-error');
    expect(classifyRecord(packet({ proto: 'icmp', srcFlags: null, icmpType: 8 })).class).toBe('unknown');
    expect(classifyRecord(packet({ source: 'snort', proto: 'icmp', srcFlags: null, icmpType: 8, signature: { message: 'ICMP PING' } })).class).toBe('alert');
  });
  it('never throws on an empty record', () => {
    const c = classifyRecord(packet({ proto: null, src: null, dst: null, srcFlags: null, time: null }));
    expect(c.class).toBe('unknown');
  });
});

describe('classifyRecord: totals-only TCP with "->"', () => {
  it('does not claim "nothing back" when the blanked mark hides the reply', () => {
    const c = classifyRecord(argus({ dir: '->', totalsOnly: true, srcPkts: 2, srcBytes: 108, dstPkts: null, dstBytes: null, srcFlags: 'S', dstFlags: 'RA', state: 'S_RA' }));
    expect(c.class).toBe('syn-rejected');
    expect(c.evidence).not.toContain('nothing back');
    const one = classifyRecord(argus({ dir: '->', totalsOnly: true, srcPkts: 1, srcBytes: 54, dstPkts: null, dstBytes: null, srcFlags: null, dstFlags: null, state: 'ACC' }));
    expect(one.class).toBe('backscatter');
    expect(one.evidence).toContain('nothing back');
  });
});

describe('classifyRecord: what a layout cannot tell', () => {
  it('one-sided CON without data or flags is unknown (bare ACK and stealth probes print alike)', () => {
    const c = classifyRecord(argus({ dir: '?>', totalsOnly: true, srcPkts: 1, srcBytes: 54, dstPkts: null, dstBytes: null, srcFlags: null, dstFlags: null, state: 'CON' }));
    expect(c.class).toBe('unknown');
    expect(c.evidence).toMatch(/NULL, SYN-FIN or Xmas/);
  });
  it('only the source flags printed (ra -Zs) and the other end may have answered: unknown', () => {
    const c = classifyRecord(argus({ dir: '<?>', totalsOnly: true, srcPkts: 2, srcBytes: 1568, dstPkts: null, dstBytes: null, srcFlags: 'A', dstFlags: null, state: 'A' }));
    expect(c.class).toBe('unknown');
    expect(c.evidence).toContain('answer is unknown');
  });
  it('one packet each way ending in RST, no byte counts: a refused request', () => {
    const c = classifyRecord(argus({ dir: '->', srcPkts: 1, dstPkts: 1, srcBytes: null, dstBytes: null, srcFlags: null, dstFlags: null, state: 'RST' }));
    expect(c.class).toBe('syn-rejected');
  });
});

describe('classifyRecord: every class in both printed orientations', () => {
  const mirrorDir: Record<string, string> = { '->': '<-', '?>': '<?', '<->': '<->', '<?>': '<?>' };
  function mirror(r: ExtractedRecord): ExtractedRecord {
    const state = r.state && r.state.includes('_') ? r.state.split('_').reverse().join('_') : r.state;
    return {
      ...r,
      src: r.dst, sport: r.dport, dst: r.src, dport: r.sport,
      srcPkts: r.dstPkts, dstPkts: r.srcPkts, srcBytes: r.dstBytes, dstBytes: r.srcBytes,
      srcFlags: r.dstFlags, dstFlags: r.srcFlags, state,
      dir: r.dir ? (mirrorDir[r.dir] ?? r.dir) : r.dir,
    };
  }
  const S = '198.51.100.7';
  const D = '192.0.2.10';
  const base = { src: S, dst: D, sport: 40000, dport: 80 };
  const cases: Array<[string, Partial<ExtractedRecord>, string]> = [
    ['established', { ...base, dir: '->', srcPkts: 5, dstPkts: 4, srcBytes: 400, dstBytes: 900, srcFlags: 'FSPA', dstFlags: 'FSPA', state: 'FSPA_FSPA' }, S],
    ['syn-unanswered', { ...base, dir: '->', srcPkts: 2, dstPkts: 0, srcBytes: 120, dstBytes: 0, srcFlags: 'S', dstFlags: '', state: 'S_' }, S],
    ['syn-rejected', { ...base, dir: '->', srcPkts: 1, dstPkts: 1, srcBytes: 60, dstBytes: 54, srcFlags: 'S', dstFlags: 'RA', state: 'S_RA' }, S],
    ['midstream-unanswered', { ...base, dir: '?>', srcPkts: 1, dstPkts: 0, srcBytes: 1500, dstBytes: 0, srcFlags: 'PA', dstFlags: '', state: 'PA_' }, S],
    ['midstream-reset', { ...base, dir: '?>', srcPkts: 1, dstPkts: 1, srcBytes: 1500, dstBytes: 54, srcFlags: 'A', dstFlags: 'R', state: 'A_R' }, S],
    ['backscatter', { ...base, dir: '->', srcPkts: 2, dstPkts: 0, srcBytes: 108, dstBytes: 0, srcFlags: 'SA', dstFlags: '', state: 'SA_' }, S],
    ['backscatter', { ...base, dir: '?>', srcPkts: 1, dstPkts: 0, srcBytes: 54, dstBytes: 0, srcFlags: 'R', dstFlags: '', state: 'R_' }, S],
    ['stealth-probe', { ...base, dir: '?>', srcPkts: 1, dstPkts: 0, srcBytes: 54, dstBytes: 0, srcFlags: 'FPU', dstFlags: '', state: 'FPU_' }, S],
    ['udp-unanswered', { ...base, proto: 'udp', dir: '->', srcPkts: 1, dstPkts: 0, srcBytes: 418, dstBytes: 0, srcFlags: null, dstFlags: null, state: 'INT' }, S],
    ['udp-answered', { ...base, proto: 'udp', dir: '<->', srcPkts: 1, dstPkts: 1, srcBytes: 80, dstBytes: 120, srcFlags: null, dstFlags: null, state: 'CON' }, S],
    ['icmp-echo-unanswered', { ...base, proto: 'icmp', sport: null, dport: null, dir: '->', srcPkts: 1, dstPkts: 0, srcBytes: 98, dstBytes: 0, srcFlags: null, dstFlags: null, state: 'ECO' }, S],
    ['icmp-echo-answered', { ...base, proto: 'icmp', sport: null, dport: null, dir: '<->', srcPkts: 1, dstPkts: 1, srcBytes: 98, dstBytes: 98, srcFlags: null, dstFlags: null, state: 'ECO' }, S],
    ['icmp-error', { ...base, proto: 'icmp', sport: null, dport: null, dir: '->', srcPkts: 1, dstPkts: 0, srcBytes: 70, dstBytes: 0, srcFlags: null, dstFlags: null, state: 'URP' }, S],
  ];
  it.each(cases)('%s: as printed and mirrored (%#)', (cls, over, actor) => {
    const rec = argus(over);
    const fwd = classifyRecord(rec);
    expect(fwd.class).toBe(cls);
    expect(fwd.actor).toBe(actor);
    // <-> / <?> keep the printed src as originator, so only one-way marks are mirrored meaningfully
    if (rec.dir === '<->' || rec.dir === '<?>') return;
    const rev = classifyRecord(mirror(rec));
    expect(rev.class).toBe(cls);
    expect(rev.actor).toBe(actor);
    expect(rev.target).toBe(fwd.target);
  });
});
