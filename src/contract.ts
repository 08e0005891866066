// The listwatch.analysis/1 document: the product's public JSON interface.
// Mirrors ../docs/analysis.md and docs/analysis.schema.json. Grow it only by adding.

export const SCHEMA = 'listwatch.analysis/1' as const;

export interface Party {
  name: string | null;
  address: string | null;
  /** registrable domain of the address, e.g. `auckland.ac.nz` */
  org: string | null;
}

export interface Post {
  id: string;
  thread: string;
  subject: string | null;
  /** ISO 8601 with the sender's offset */
  date: string | null;
  from: Party;
  observations: string[];
  /** added: the post's archive URL (Archived-At header), when the list gives one */
  archivedAt?: string;
}

export type Source = 'snort' | 'argus' | 'tcpdump' | 'suricata' | 'zeek' | 'netfilter' | (string & {});

export const FLOW_CLASSES = [
  'established',
  'syn-unanswered',
  'syn-rejected',
  'midstream-unanswered',
  'midstream-reset',
  'backscatter',
  'stealth-probe',
  'udp-unanswered',
  'udp-answered',
  'icmp-echo-unanswered',
  'icmp-echo-answered',
  'icmp-error',
  'alert',
  'unknown',
] as const;
export type FlowClass = (typeof FLOW_CLASSES)[number];

export const BEHAVIOURS = [
  'established',
  'syn',
  'midstream',
  'backscatter',
  'stealth-probe',
  'udp',
  'icmp-echo',
  'icmp-error',
  'alert',
  'unknown',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export interface Signature {
  id?: string;
  rev?: number;
  message?: string;
  classification?: string;
  priority?: number;
}

export interface Payload {
  bytes: number;
  strings: string[];
}

export interface Observation {
  id: string;
  post: string;
  reporter: Party;
  quoted: boolean;
  duplicateOf?: string;
  source: Source;
  format: string;
  line: number;
  time: string | null;
  proto: string | null;
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
  dir: string | null;
  srcPkts: number | null;
  dstPkts: number | null;
  srcBytes: number | null;
  dstBytes: number | null;
  totalsOnly?: boolean;
  srcFlags: string | null;
  dstFlags: string | null;
  state: string | null;
  signature?: Signature;
  payload?: Payload;
  class: FlowClass;
  actor: string | null;
  target: string | null;
  family?: string;
  evidence: string;
}

export interface Corroboration {
  org: string;
  post: string;
  quote: string;
  /** added field: which pass found it, `rule` (deterministic) or `llm` */
  via?: 'rule' | 'llm';
}

export type FindingKind = 'cross-reporter' | 'campaign' | 'same-traffic';

export interface Finding {
  id: string;
  kind: FindingKind;
  behaviour: Behaviour;
  family?: string;
  actorPrefix: string;
  dport: number | null;
  /**
   * Added to the contract (not in ANALYSIS.md): the port the actors of a backscatter finding
   * answer from, when known. Two backscatter findings of one actor prefix differ only in it.
   */
  sport?: number;
  reporters: string[];
  corroborating: Corroboration[];
  observations: string[];
  first: string | null;
  last: string | null;
  summary: string;
}

export interface InputError {
  input: string;
  message: string;
}

export interface AnalysisDocument {
  schema: typeof SCHEMA;
  posts: Post[];
  observations: Observation[];
  findings: Finding[];
  errors: InputError[];
}

export function behaviourOf(cls: FlowClass): Behaviour {
  switch (cls) {
    case 'syn-unanswered':
    case 'syn-rejected':
      return 'syn';
    case 'midstream-unanswered':
    case 'midstream-reset':
      return 'midstream';
    case 'udp-unanswered':
    case 'udp-answered':
      return 'udp';
    case 'icmp-echo-unanswered':
    case 'icmp-echo-answered':
      return 'icmp-echo';
    default:
      return cls;
  }
}
