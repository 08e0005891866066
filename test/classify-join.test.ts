import { describe, expect, it } from 'vitest';
import { applyJoin, joinAlertsToFlows } from '../src/classify/join.js';
import type { Observation } from '../src/contract.js';
import { seedObservations } from './helpers/brains-seed.js';

describe('joinAlertsToFlows', () => {
  it('joins the seed alert to the 07:10:23 Argus record, and nothing else', () => {
    const obs = seedObservations();
    const joins = joinAlertsToFlows(obs);
    expect(joins).toEqual([{ alert: 'obs-a1', flow: 'obs-r1' }]);
  });

  it('matches either orientation of the 5-tuple and respects the 5 s window', () => {
    const obs = seedObservations();
    const flow = obs.find((o) => o.id === 'obs-r1') as Observation;
    const swapped: Observation = { ...flow, id: 'swapped', src: flow.dst, sport: flow.dport, dst: flow.src, dport: flow.sport };
    const alert = obs.find((o) => o.id === 'obs-a1') as Observation;
    expect(joinAlertsToFlows([alert, swapped])).toEqual([{ alert: 'obs-a1', flow: 'swapped' }]);
    const late: Observation = { ...flow, id: 'late', time: '2001-09-06T07:10:29+12:00' };
    expect(joinAlertsToFlows([alert, late])).toEqual([]);
    const otherPort: Observation = { ...flow, id: 'port', sport: 1451 };
    expect(joinAlertsToFlows([alert, otherPort])).toEqual([]);
    const otherProto: Observation = { ...flow, id: 'udp', proto: 'udp' };
    expect(joinAlertsToFlows([alert, otherProto])).toEqual([]);
  });

  it('picks the nearest flow in time when several match', () => {
    const obs = seedObservations();
    const flow = obs.find((o) => o.id === 'obs-r1') as Observation;
    const alert = obs.find((o) => o.id === 'obs-a1') as Observation;
    const farther: Observation = { ...flow, id: 'far', time: '2001-09-06T07:10:27+12:00' };
    expect(joinAlertsToFlows([alert, farther, flow])).toEqual([{ alert: 'obs-a1', flow: 'obs-r1' }]);
  });

  it('applyJoin gives the alert the flow class and names the flow', () => {
    const obs = seedObservations();
    const flow = obs.find((o) => o.id === 'obs-r1') as Observation;
    const alert = obs.find((o) => o.id === 'obs-a1') as Observation;
    expect(alert.class).toBe('alert');
    const joined = applyJoin(alert, flow);
    expect(joined.class).toBe('midstream-reset');
    expect(joined.actor).toBe('130.67.240.225');
    expect(joined.evidence).toContain('obs-r1');
    expect(joined.evidence).toContain('A_RPA');
    expect(alert.class).toBe('alert');
  });

  it('stays linear: 50,000 alerts and 50,000 flows', () => {
    const obs = seedObservations();
    const flow = obs.find((o) => o.id === 'obs-r1') as Observation;
    const alert = obs.find((o) => o.id === 'obs-a1') as Observation;
    const many: Observation[] = [];
    for (let i = 0; i < 50_000; i++) {
      many.push({ ...flow, id: `f${i}`, sport: 1024 + (i % 60000) });
      many.push({ ...alert, id: `a${i}`, sport: 1024 + (i % 60000) });
    }
    expect(joinAlertsToFlows(many).length).toBe(50_000);
  });
});

describe('joins: Suricata eve flow records', () => {
  it('join the Suricata alert of the same traffic', async () => {
    const { analyzeThread } = await import('../src/analyze/corpus.js');
    const { analyzePost } = await import('../src/analyze/post.js');
    const { parseMail } = await import('../src/mail/parse.js');
    const alert = JSON.stringify({
      timestamp: '2026-11-25T10:00:00.100000+0000', flow_id: 1, event_type: 'alert', src_ip: '203.0.113.9', src_port: 4444, dest_ip: '192.0.2.5', dest_port: 80, proto: 'TCP',
      alert: { action: 'allowed', gid: 1, signature_id: 2010935, rev: 3, signature: 'ET TEST probe', category: 'Misc activity', severity: 3 },
    });
    const flow = JSON.stringify({
      timestamp: '2026-11-25T10:00:00.000000+0000', flow_id: 1, event_type: 'flow', src_ip: '203.0.113.9', src_port: 4444, dest_ip: '192.0.2.5', dest_port: 80, proto: 'TCP',
      flow: { pkts_toserver: 2, pkts_toclient: 1, bytes_toserver: 1600, bytes_toclient: 54, start: '2026-11-25T10:00:00.000000+0000', state: 'closed' },
      tcp: { tcp_flags: '1c', tcp_flags_ts: '18', tcp_flags_tc: '14', state: 'closed' },
    });
    const raw = Buffer.from(`From: A <a@soc.example.org>\nTo: list@example.net\nSubject: eve\nDate: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <eve@example.org>\n\n${alert}\n${flow}\n`);
    const mail = await parseMail(raw, 'eve.eml');
    const result = analyzeThread([analyzePost(mail, mail.id)]);
    const obs = result.doc.observations;
    expect(obs.map((o) => o.source)).toEqual(['suricata', 'suricata']);
    const same = result.doc.findings.find((f) => f.kind === 'same-traffic');
    expect(same?.observations.sort()).toEqual(obs.map((o) => o.id).sort());
  });
});
