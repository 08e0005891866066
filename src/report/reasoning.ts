// What the evidence says about the usual explanations for a finding. Each hypothesis is weighed
// against facts a reader can check: the records' flags and direction marks, the payload, and what
// the reporters said in prose (e.g. that the targets are unused addresses).

import type { Finding, Observation } from '../contract.js';
import type { AnalysisResult } from '../analyze/types.js';
import type { ProseStatement } from '../correlate/types.js';
import { roleOfBehaviour, victimSentence } from '../correlate/roles.js';

export interface Hypothesis {
  name: string;
  verdict: 'ruled-out' | 'supported' | 'possible';
  why: string;
}

/** Spoofing-aware wording: backscatter and handshake-less senders are likely spoofed, so their addresses are a common victim. */
export function actorRole(f: Finding): 'attacker' | 'common-victim' | 'unknown' {
  return roleOfBehaviour(f.behaviour, f.family);
}

const DATA_BYTES_PER_PACKET = 80;
const WEB_PORTS = new Set([80, 443, 8080, 8000, 8008, 8443]);
const MAX_IDS = 4;

function ids(list: readonly Observation[]): string {
  const shown = list.slice(0, MAX_IDS).map((o) => o.id);
  return list.length > MAX_IDS ? `${shown.join(', ')} and ${list.length - MAX_IDS} more` : shown.join(', ');
}

interface Facts {
  obs: Observation[];
  flows: Observation[];
  threads: Set<string>;
  statements: ProseStatement[];
  unused: ProseStatement[];
  firewalled: ProseStatement[];
  noHandshakeWords: ProseStatement[];
  resets: Observation[];
  unansweredFlows: Observation[];
  undirected: Observation[];
  synFromActors: Observation[];
  withData: Observation[];
  httpRequests: Observation[];
  bytesExample: string | null;
}

function isFlow(o: Observation): boolean {
  return o.signature === undefined && (o.srcPkts !== null || o.state !== null);
}

function sentBytesPerPacket(o: Observation): number | null {
  if (o.srcPkts && o.srcBytes !== null) return o.srcBytes / o.srcPkts;
  return null;
}

function gather(f: Finding, result: AnalysisResult): Facts {
  const doc = result.doc;
  const byId = new Map(doc.observations.map((o) => [o.id, o]));
  const threadOfPost = new Map(doc.posts.map((p) => [p.id, p.thread]));
  const obs = f.observations.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
  const threads = new Set(obs.map((o) => threadOfPost.get(o.post) ?? o.post));
  const corroboratingPosts = new Set(f.corroborating.map((c) => c.post));
  const statements = result.statements.filter(
    (s) => s.polarity === 'same' && (corroboratingPosts.has(s.post) || threads.has(s.thread)),
  );
  const actors = new Set(obs.map((o) => o.actor).filter((a): a is string => a !== null));
  // A SYN from any of these hosts anywhere in the corpus would show they do handshake.
  const synFromActors = doc.observations.filter((o) => {
    if (o.duplicateOf !== undefined) return false;
    if (o.class === 'syn-unanswered' || o.class === 'syn-rejected' || o.class === 'established') return o.actor !== null && actors.has(o.actor);
    // a SYN that opens a connection: a SYN-ACK is an answer, not an attempt
    if (o.src !== null && actors.has(o.src) && o.srcFlags?.includes('S') && !o.srcFlags.includes('A')) return true;
    return false;
  });
  const flows = obs.filter(isFlow);
  const withData = obs.filter((o) => {
    const per = sentBytesPerPacket(o);
    if (per !== null) return per > DATA_BYTES_PER_PACKET;
    return (o.payload?.bytes ?? 0) > 0;
  });
  const httpRequests = obs.filter((o) => {
    const strings = o.payload?.strings ?? [];
    const text = strings.join(' ').slice(0, 65536);
    return /\b(GET|POST|HEAD) \//.test(text) || /\bHost:/i.test(text);
  });
  const example = withData.find((o) => isFlow(o) && sentBytesPerPacket(o) !== null) ?? withData.find((o) => sentBytesPerPacket(o) !== null);
  return {
    obs,
    flows,
    threads,
    statements,
    unused: statements.filter((s) => s.details.includes('unused-addresses')),
    firewalled: statements.filter((s) => s.details.includes('firewalled')),
    noHandshakeWords: statements.filter((s) => s.details.includes('no-handshake')),
    resets: obs.filter((o) => o.class === 'midstream-reset' && isFlow(o)),
    unansweredFlows: flows.filter((o) => o.class === 'midstream-unanswered'),
    undirected: flows.filter((o) => o.dir !== null && o.dir.includes('?')),
    synFromActors,
    withData,
    httpRequests,
    bytesExample: example ? `${example.srcBytes} bytes in ${example.srcPkts} packet${example.srcPkts === 1 ? '' : 's'} (${example.id})` : null,
  };
}

function quoteOf(s: ProseStatement): string {
  return `${s.org ?? 'a reporter'} says "${s.quote}"`;
}

function assessMidstream(f: Finding, x: Facts): Hypothesis[] {
  const out: Hypothesis[] = [];
  const port = f.dport === null ? 'the port' : `port ${f.dport}`;

  // (a) asymmetric routing: the monitor sees only one direction of real connections
  {
    const reasons: string[] = [];
    if (x.unused.length > 0) {
      reasons.push(
        `${quoteOf(x.unused[0] as ProseStatement)}: on addresses that are not in use nothing could complete a handshake, so there is no return path for the monitor to miss`,
      );
    }
    if (x.resets.length > 0) {
      reasons.push(`${ids(x.resets)} show the targets' resets, so the monitor does see the return direction`);
    }
    out.push(
      reasons.length > 0
        ? { name: 'asymmetric routing (the monitor sees one direction only)', verdict: 'ruled-out', why: reasons.join('; and ') + '.' }
        : {
            name: 'asymmetric routing (the monitor sees one direction only)',
            verdict: 'possible',
            why: 'no record shows traffic from the targets and no reporter says the targets are unused, so a one-way view of real connections is not excluded.',
          },
    );
  }

  // (b) a stateless or spoofing sender that does not wait for a handshake
  {
    const allUndirected = x.flows.length > 0 && x.undirected.length === x.flows.length;
    if (x.synFromActors.length > 0) {
      out.push({
        name: 'a stateless or spoofing sender not waiting for a handshake',
        verdict: 'possible',
        why: `but ${ids(x.synFromActors)} show SYNs from the same hosts, so at least some of them do open connections.`,
      });
    } else if (allUndirected) {
      out.push({
        name: 'a stateless or spoofing sender not waiting for a handshake',
        verdict: 'supported',
        why:
          `all ${x.flows.length} flow records (${ids(x.flows)}) are marked "${[...new Set(x.undirected.map((o) => o.dir))].join('", "')}" (Argus saw no SYN or SYN-ACK) ` +
          `and no record anywhere shows a SYN from these hosts: the sender fires ACK segments without ever opening a connection` +
          (x.unused.length > 0 ? ', and it does so towards unused addresses where no connection could exist.' : '.'),
      });
    } else {
      out.push({
        name: 'a stateless or spoofing sender not waiting for a handshake',
        verdict: 'possible',
        why: `no record shows a SYN from these hosts, but ${x.flows.length === 0 ? 'there are no flow records to show' : 'not every flow record shows'} that a handshake was absent.`,
      });
    }
  }

  // (c) TCP middlebox reflection: out-of-state ACK/PSH-ACK with an HTTP request, the victim's address spoofed
  {
    const name = 'reflection through a middlebox (out-of-state ACK/PSH-ACK with an HTTP request, the victim\'s address spoofed)';
    const web = f.dport !== null && WEB_PORTS.has(f.dport);
    if (x.httpRequests.length > 0 && web) {
      out.push({ name, verdict: 'supported', why: `${ids(x.httpRequests)} carry an HTTP request in segments without a handshake to ${port}, the shape of middlebox reflection; the sources would then be the victims.` });
    } else if (x.withData.length > 0 && web) {
      const shown = x.obs.find((o) => (o.payload?.strings.length ?? 0) > 0);
      out.push({
        name,
        verdict: 'possible',
        why:
          `the segments carry data (${x.bytesExample ?? ids(x.withData)}) to ${port} without a handshake, which fits` +
          (shown
            ? `; but the payload shown in ${shown.id} ("${(shown.payload?.strings ?? []).slice(0, 3).join('", "')}") is not an HTTP request with a Host: header, which reflection needs, and only part of it was posted.`
            : '; no payload was posted to show whether it is an HTTP request with a Host: header, which reflection needs.'),
      });
    } else {
      out.push({ name, verdict: 'possible', why: `nothing shows an HTTP request${web ? '' : ` and ${port} is not a web port`}, so this is weakly supported at most.` });
    }
  }

  // (d) state lost mid-connection: late packets of a dead connection
  {
    const name = 'state lost mid-connection (late packets of a connection that ended)';
    if (x.unused.length > 0) {
      out.push({
        name,
        verdict: 'ruled-out',
        why: `${x.unused[0]?.org ?? 'a reporter'} sees the same on unused addresses, where no connection ever existed to leave late packets.`,
      });
    } else {
      const actors = new Set(x.obs.map((o) => o.actor));
      out.push({
        name,
        verdict: 'possible',
        why:
          actors.size >= 3
            ? `${actors.size} different hosts sending late segments to many targets would be unusual, but no record rules it out.`
            : 'nothing in the records rules out the tail of a real connection.',
      });
    }
  }
  return out;
}

/** Source ports flood tools use, so their backscatter arrives on these ports (juno.c: 1024 and 3072). */
const FLOOD_TOOL_PORTS: ReadonlyMap<number, string> = new Map([
  [1024, 'juno.c'],
  [3072, 'juno.c'],
]);

function assessBackscatter(f: Finding, x: Facts): Hypothesis[] {
  // the ports the replies arrive on are the flood's forged source ports
  const replyPorts = [...new Set(x.obs.map((o) => (o.actor === o.src ? o.dport : o.sport)).filter((p): p is number => p !== null))];
  const toolPorts = replyPorts.filter((p) => FLOOD_TOOL_PORTS.has(p));
  const tool = toolPorts.length > 0 && toolPorts.length === replyPorts.length ? FLOOD_TOOL_PORTS.get(toolPorts[0]!) : undefined;
  return [
    {
      name: 'backscatter from a spoofed flood against these hosts',
      verdict: 'supported',
      why:
        `the records (${ids(x.obs)}) show only SYN-ACKs or resets from ${f.actorPrefix} and no request from the reporters' side: ` +
        "replies to traffic someone else sent with the reporters' addresses as the spoofed source" +
        (tool
          ? toolPorts.length > 1
            ? `; the replies arrive on ports ${toolPorts.sort((a, b) => a - b).join(' and ')}, the source ports ${tool} SYN floods use.`
            : `; the replies arrive on port ${toolPorts[0]}, a source port ${tool} SYN floods use.`
          : '.'),
    },
    {
      name: 'a scan using SYN-ACK or RST probes',
      verdict: 'possible',
      why: x.synFromActors.length > 0
        ? `${ids(x.synFromActors)} show these hosts also send SYNs, so probing is not excluded.`
        : 'probes of this shape exist, but backscatter explains the same records without assuming a scanner.',
    },
  ];
}

function assessStealth(f: Finding, x: Facts): Hypothesis[] {
  const targets = new Set(x.obs.map((o) => o.target));
  return [
    {
      name: 'a port scan with stealth flags',
      verdict: 'supported',
      why: `FIN, NULL, SYN-FIN or Xmas segments (${ids(x.obs)}) to ${targets.size} target${targets.size === 1 ? '' : 's'}: no TCP stack sends these in a normal connection.`,
    },
  ];
}

const WORM_PORTS = new Set([80, 135, 139, 445, 1433, 1434, 3127, 5554, 9898]);

function assessSyn(f: Finding, x: Facts): Hypothesis[] {
  const actors = new Set(x.obs.map((o) => o.actor).filter((a) => a !== null));
  const targets = new Set(x.obs.map((o) => o.target).filter((t) => t !== null));
  const port = f.dport === null ? 'one port' : `port ${f.dport}`;
  const out: Hypothesis[] = [];
  out.push(
    actors.size === 1 && targets.size >= 3
      ? { name: 'a sweep from one source', verdict: 'supported', why: `one host sent connection attempts to ${targets.size} addresses on ${port} (${ids(x.obs)}).` }
      : { name: 'a sweep from one source', verdict: 'possible', why: `${actors.size} sources and ${targets.size} targets: not one scanner sweeping many addresses.` },
  );
  out.push(
    f.family
      ? { name: 'worm propagation', verdict: 'supported', why: `the records name ${f.family}.` }
      : {
          name: 'worm propagation',
          verdict: 'possible',
          why:
            f.dport !== null && WORM_PORTS.has(f.dport)
              ? `${port} is a port worms spread on, but no record names a family.`
              : `nothing names a worm and ${port} is not a usual worm port.`,
        },
  );
  out.push(
    actors.size === 1 && targets.size >= 3
      ? { name: 'a SYN flood with spoofed sources', verdict: 'ruled-out', why: `a flood hits one target from many forged sources; here one source tried ${targets.size} addresses.` }
      : {
          name: 'a SYN flood with spoofed sources',
          verdict: targets.size === 1 && actors.size >= 3 ? 'supported' : 'possible',
          why: `${actors.size} sources against ${targets.size} target${targets.size === 1 ? '' : 's'}.`,
        },
  );
  return out;
}

/** The usual explanations for a finding and what the evidence says about each; empty when there is nothing to weigh. */
export function assessFinding(f: Finding, result: AnalysisResult): Hypothesis[] {
  const x = gather(f, result);
  switch (f.behaviour) {
    case 'midstream':
      return assessMidstream(f, x);
    case 'backscatter':
      return assessBackscatter(f, x);
    case 'stealth-probe':
      return assessStealth(f, x);
    case 'syn':
      return assessSyn(f, x);
    default:
      return [];
  }
}

/** One or two sentences that follow from the hypotheses, with spoofing-aware wording. */
export function conclusion(f: Finding, hypotheses: readonly Hypothesis[]): string {
  const supported = hypotheses.filter((h) => h.verdict === 'supported').map((h) => h.name);
  const ruledOut = hypotheses.filter((h) => h.verdict === 'ruled-out').map((h) => h.name.replace(/ \(.*\)$/, ''));
  const parts: string[] = [];
  if (supported.length > 0) parts.push(`Most consistent with ${supported.join(' and ')}`);
  else if (hypotheses.length > 0) parts.push('No explanation is settled by these records');
  if (ruledOut.length > 0) parts.push(`${ruledOut.join(' and ')} ${ruledOut.length === 1 ? 'is' : 'are'} ruled out`);
  let text = parts.join('; ') + (parts.length ? '.' : '');
  const victim = victimSentence(f.behaviour, f.actorPrefix, f.family);
  if (victim) text += `${text ? ' ' : ''}${victim}`;
  return text;
}
