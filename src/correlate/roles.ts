// Spoofing-aware wording: whose behaviour a finding describes. Backscatter comes from the victim
// of a flood that spoofed the reporters' addresses; handshake-less ACK/PSH-ACK traffic is what a
// sender that spoofs its source (middlebox reflection) produces. Neither is an attacker.

import type { Behaviour } from '../contract.js';

export type ActorRole = 'attacker' | 'common-victim' | 'unknown';

export function roleOfBehaviour(behaviour: Behaviour, family?: string): ActorRole {
  switch (behaviour) {
    case 'backscatter':
    case 'midstream':
      return 'common-victim';
    case 'syn':
    case 'stealth-probe':
    case 'established':
      return 'attacker';
    case 'udp':
      return family ? 'attacker' : 'unknown';
    default:
      return family ? 'attacker' : 'unknown';
  }
}

/** How to name the actors of a finding in prose. */
export function roleWords(role: ActorRole): string {
  if (role === 'common-victim') return 'common victim';
  if (role === 'attacker') return 'attacker';
  return 'source';
}

/** The sentence that keeps a report from naming a victim as the source; '' when the actors are not victims. */
export function victimSentence(behaviour: Behaviour, prefix: string, family?: string): string {
  if (roleOfBehaviour(behaviour, family) !== 'common-victim') return '';
  const advice = 'treat it as a common victim, not as the origin of the traffic, and do not file abuse reports against it.';
  if (behaviour === 'backscatter') {
    return `${prefix} is answering traffic that forged the reporters' addresses (it is the target of someone else's flood): ${advice}`;
  }
  return `The source addresses in ${prefix} are likely spoofed: ${advice}`;
}
