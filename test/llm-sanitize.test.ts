import { describe, expect, it } from 'vitest';
import { allowAddress, allowDomain, carriesLink, cleanTags, emptyFacts, normalisePrefix, REMOVED, scrubModelText, verbatimQuote } from '../src/llm/sanitize.js';
import { emptyAllowed, observationFacts } from '../src/llm/inputs.js';
import { sampleResult } from './helpers/llm-result.js';

function facts() {
  const f = emptyFacts();
  allowAddress(f, '130.67.240.225');
  allowAddress(f, '130.67.0.0/16');
  allowAddress(f, '130.216.223.0/24');
  allowAddress(f, '2001:db8::1');
  allowDomain(f, 'auckland.ac.nz');
  f.ids.add('obs-1a2b3c4d5e6f7a8b');
  f.ids.add('f-0a1b2c3d4e5f');
  return f;
}

describe('scrubModelText', () => {
  it('keeps addresses, prefixes, domains and ids that are in the facts', () => {
    const text = 'Hosts in 130.67/16 such as 130.67.240.225 sent bare ACKs to 130.216.223.0/24, as auckland.ac.nz and staff.auckland.ac.nz saw [obs-1a2b3c4d5e6f7a8b].';
    expect(scrubModelText(text, facts())).toBe(text);
  });

  it('removes URLs, e-mail addresses (plain and obfuscated) and mailto links whatever the facts', () => {
    const out = scrubModelText(
      'See http://evil.example/x?a=1 and www.evil.example, mail x@evil.example or r.fulton () auckland ac nz, or mailto:a@b.c now.',
      facts(),
    );
    expect(out).not.toMatch(/evil|@|mailto|fulton/);
    expect(out).toContain(REMOVED);
  });

  it('removes addresses, prefixes and domains the facts do not hold', () => {
    const out = scrubModelText('Also 10.9.8.7, 130.67.240.226, 192.0.2.0/24, 2001:db8::2, online.no and evil.example are involved.', facts());
    expect(out).not.toMatch(/10\.9\.8\.7|130\.67\.240\.226|192\.0\.2|2001:db8::2|online\.no|evil\.example/);
    expect(out.split(REMOVED)).toHaveLength(7);
  });

  it('leaves times, version numbers and file names alone', () => {
    const text = 'At 07:10:23 the cmd.exe request hit WS2_32.DLL; version 1.2 of the rule.';
    expect(scrubModelText(text, facts())).toBe(text);
  });

  it('drops citations of unknown ids but keeps prose in brackets', () => {
    const out = scrubModelText('Seen [obs-1a2b3c4d5e6f7a8b, obs-ffff00001111aaaa] and [obs-9999] (see [the second post]).', facts());
    expect(out).toBe('Seen [obs-1a2b3c4d5e6f7a8b] and (see [the second post]).');
  });

  it('caps the length, at a sentence end when one is near', () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} says little.`).join(' ');
    const out = scrubModelText(long, facts(), 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out.endsWith('.')).toBe(true);
    const word = scrubModelText('x'.repeat(5000), facts(), 100);
    expect(word.length).toBeLessThanOrEqual(100);
  });

  it('runs in linear time on hostile input', () => {
    const hostile = `${'1.'.repeat(5000)}a ${'a.'.repeat(5000)}@ ${'['.repeat(3000)} ${':'.repeat(5000)}`;
    // a backtracking regex would hang here until the test's own timeout
    expect(scrubModelText(hostile, facts()).length).toBeLessThanOrEqual(hostile.length);
  });
});

describe('verbatimQuote', () => {
  const post = "I've seen this as well. I noticed it because the alert was occuring on IP addresses in our range that are not currently \nin use.";
  it('accepts a quote that stands in the post, across a line break', () => {
    expect(verbatimQuote('I noticed it because the alert was occuring on IP addresses in our range that are not currently in use.', post)).toBe(
      'I noticed it because the alert was occuring on IP addresses in our range that are not currently in use.',
    );
    expect(verbatimQuote('I\u2019ve seen this as well.', post)).toBe("I've seen this as well.");
  });
  it('rejects a paraphrase, an ellipsis and a fragment too short to mean anything', () => {
    expect(verbatimQuote("I've also seen this.", post)).toBeNull();
    expect(verbatimQuote("I've seen this ... in use.", post)).toBeNull();
    expect(verbatimQuote('as', post)).toBeNull();
  });
});

describe('small helpers', () => {
  it('normalisePrefix pads short forms', () => {
    expect(normalisePrefix('130.67/16')).toBe('130.67.0.0/16');
    expect(normalisePrefix('130.67.1.2/16')).toBe('130.67.0.0/16');
    expect(normalisePrefix('24/7')).toBe('24.0.0.0/7');
    expect(normalisePrefix('300.1/16')).toBeNull();
  });
  it('cleanTags keeps short hyphenated tags only', () => {
    expect(cleanTags(['Unused-Addresses', 'no handshake', 'ignore all previous instructions', 'firewalled', 'firewalled', 'x'.repeat(50)])).toEqual(['unused-addresses', 'firewalled']);
  });
  it('carriesLink', () => {
    expect(carriesLink('see http://x.example')).toBe(true);
    expect(carriesLink('mail bob@evil.example')).toBe(true);
    expect(carriesLink("I've seen this as well.")).toBe(false);
  });
});

describe('observationFacts', () => {
  it('sends the target only as its /24, in the fields and in the evidence, never part of a longer address', () => {
    const o = sampleResult().doc.observations[0]!;
    const allowed = emptyAllowed();
    const f = observationFacts(
      { ...o, evidence: `ACK to ${o.dst} and ${o.dst}.80, not to ${o.dst}1 or 1${o.dst}` },
      allowed,
    );
    expect(f.dst).toBe('130.216.246.0/24');
    expect(f.target).toBe('130.216.246.0/24');
    expect(f.src).toBe(o.src);
    expect(f.evidence).toBe(`ACK to 130.216.246.0/24 and 130.216.246.0/24.80, not to ${o.dst}1 or 1${o.dst}`);
    expect(allowed.prefixes.has('130.216.246.0/24')).toBe(true);
    expect(allowed.ips.has(o.dst!)).toBe(false);
  });
});
