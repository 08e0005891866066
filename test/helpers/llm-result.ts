// A small AnalysisResult for the LLM layer's tests: Russell Fulton's bare-ACK campaign from
// 130.67/16 (his post and Matthew Collins' reply in one thread), plus an unrelated TLP:AMBER post.
import { SCHEMA, type Observation, type Post } from '../../src/contract.js';
import type { AnalysisResult } from '../../src/analyze/types.js';
import { party } from './llm-mail.js';

export const RUSSELL = party('Russell Fulton', 'r.fulton@auckland.ac.nz', 'auckland.ac.nz');
export const MATTHEW = party('Matthew Collins', 'Matthew.Collins@northernregistrars.co.uk', 'northernregistrars.co.uk');
export const SECRET = party('Sam Secret', 'sam@amber-corp.example', 'amber-corp.example');

export const THREAD = 'russell-2001-09-06@auckland.ac.nz';

function obs(id: string, post: string, reporter = RUSSELL, src: string, dst: string, sport: number, time: string): Observation {
  return {
    id,
    post,
    reporter,
    quoted: false,
    source: 'argus',
    format: 'argus-ra',
    line: 10,
    time,
    proto: 'tcp',
    src,
    sport,
    dst,
    dport: 80,
    dir: '?>',
    srcPkts: 1,
    dstPkts: 0,
    srcBytes: 1460,
    dstBytes: 0,
    srcFlags: 'A',
    dstFlags: null,
    state: 'A_',
    class: 'midstream-unanswered',
    actor: src,
    target: dst,
    family: 'code-red',
    evidence: `ACK with 1460 bytes from ${src} to ${dst}, no SYN, nothing back`,
  };
}

export function sampleResult(): AnalysisResult {
  const observations = [
    obs('obs-0000000000000a01', THREAD, RUSSELL, '130.67.216.237', '130.216.246.91', 3339, '2001-09-06T00:02:34+12:00'),
    obs('obs-0000000000000a02', THREAD, RUSSELL, '130.67.114.61', '130.216.213.213', 2124, '2001-09-06T00:17:00+12:00'),
    obs('obs-0000000000000a03', THREAD, RUSSELL, '130.67.10.87', '130.216.78.223', 1922, '2001-09-06T00:58:01+12:00'),
    obs('obs-0000000000000b01', 'amber-1@amber-corp.example', SECRET, '130.67.99.99', '198.51.100.77', 4000, '2001-09-06T03:00:00+00:00'),
  ];
  const posts: Post[] = [
    { id: THREAD, thread: THREAD, subject: 'Code red variants?', date: '2001-09-06T00:14:18+12:00', from: RUSSELL, observations: observations.slice(0, 3).map((o) => o.id) },
    { id: 'collins-1@northernregistrars.co.uk', thread: THREAD, subject: 'Re: Code red variants?', date: '2001-09-06T10:49:20+01:00', from: MATTHEW, observations: [] },
    { id: 'amber-1@amber-corp.example', thread: 'amber-1@amber-corp.example', subject: 'TLP:AMBER bare ACKs here too', date: '2001-09-06T12:00:00+00:00', from: SECRET, observations: ['obs-0000000000000b01'] },
  ];
  return {
    doc: {
      schema: SCHEMA,
      posts,
      observations,
      findings: [
        {
          id: 'f-000000000c01',
          kind: 'campaign',
          behaviour: 'midstream',
          family: 'code-red',
          actorPrefix: '130.67.0.0/16',
          dport: 80,
          reporters: ['auckland.ac.nz'],
          corroborating: [],
          observations: ['obs-0000000000000a01', 'obs-0000000000000a02', 'obs-0000000000000a03'],
          first: '2001-09-06T00:02:34+12:00',
          last: '2001-09-06T00:58:01+12:00',
          summary: 'auckland.ac.nz saw 3 hosts in 130.67.0.0/16 send bare ACKs to port 80 (code-red) to 3 addresses, 3 records.',
        },
        {
          id: 'f-000000000c02',
          kind: 'campaign',
          behaviour: 'midstream',
          actorPrefix: '130.67.99.99/32',
          dport: 80,
          reporters: ['amber-corp.example'],
          corroborating: [],
          observations: ['obs-0000000000000b01'],
          first: '2001-09-06T03:00:00+00:00',
          last: '2001-09-06T03:00:00+00:00',
          summary: 'amber-corp.example saw 130.67.99.99 send bare ACKs to 198.51.100.77.',
        },
      ],
      errors: [],
    },
    statements: [],
    questions: [],
  };
}
