import { describe, expect, it } from 'vitest';
import { deobfuscateAddress, orgOf, parseParty } from '../src/mail/org.js';

describe('deobfuscateAddress', () => {
  it('undoes the web-archive "() " form', () => {
    expect(deobfuscateAddress('r.fulton () auckland ac nz')).toBe('r.fulton@auckland.ac.nz');
    expect(deobfuscateAddress('Matthew.Collins () northernregistrars co uk')).toBe('Matthew.Collins@northernregistrars.co.uk');
  });
  it('undoes at/dot spellings and leaves real addresses alone', () => {
    expect(deobfuscateAddress('joe at example dot com')).toBe('joe@example.com');
    expect(deobfuscateAddress('joe [at] example [dot] org')).toBe('joe@example.org');
    expect(deobfuscateAddress('a.b@c.example.net')).toBe('a.b@c.example.net');
  });
});

describe('orgOf', () => {
  it('gives the registrable domain, not the public suffix', () => {
    expect(orgOf('r.fulton@auckland.ac.nz')).toBe('auckland.ac.nz');
    expect(orgOf('x@mail.northernregistrars.co.uk')).toBe('northernregistrars.co.uk');
    expect(orgOf('r.fulton () auckland ac nz')).toBe('auckland.ac.nz');
  });
  it('is null for no address, IPs and bare hosts', () => {
    expect(orgOf(null)).toBeNull();
    expect(orgOf('root@[10.0.0.1]')).toBeNull();
    expect(orgOf('root@localhost')).toBeNull();
  });
});

describe('parseParty', () => {
  it('reads quoted and bare display names with angle addresses', () => {
    expect(parseParty('"Matthew Collins" <Matthew.Collins () northernregistrars co uk>')).toEqual({
      name: 'Matthew Collins',
      address: 'Matthew.Collins@northernregistrars.co.uk',
      org: 'northernregistrars.co.uk',
    });
    expect(parseParty('Russell Fulton <r.fulton () auckland ac nz>')).toEqual({
      name: 'Russell Fulton',
      address: 'r.fulton@auckland.ac.nz',
      org: 'auckland.ac.nz',
    });
    expect(parseParty('"Doe, Jane" <jane@cert.example.org>').name).toBe('Doe, Jane');
  });
  it('reads addr (Name) and bare addresses', () => {
    expect(parseParty('jd@example.com (John Doe)')).toEqual({ name: 'John Doe', address: 'jd@example.com', org: 'example.com' });
    expect(parseParty('<jd@example.com>')).toEqual({ name: null, address: 'jd@example.com', org: 'example.com' });
    expect(parseParty('jd () example com (John Doe)').address).toBe('jd@example.com');
  });
  it('keeps a name without an address', () => {
    expect(parseParty('Russell Fulton')).toEqual({ name: 'Russell Fulton', address: null, org: null });
    expect(parseParty('')).toEqual({ name: null, address: null, org: null });
  });
});

describe('parseParty: field posts', () => {
  it('fixtures/field/jammed-incidents-2003-02-port17300.txt: hypermail "Name (spoiled address)" gives the name alone', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseMail } = await import('../src/mail/parse.js');
    const p = await parseMail(readFileSync(new URL('../fixtures/field/jammed-incidents-2003-02-port17300.txt', import.meta.url)), 'jammed.txt');
    expect(p.from).toEqual({ name: 'John Sage', address: null, org: null });
    expect(parseParty('John Sage (jsage@example.org)')).toEqual({ name: 'John Sage', address: 'jsage@example.org', org: 'example.org' });
  });
});
