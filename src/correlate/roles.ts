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
