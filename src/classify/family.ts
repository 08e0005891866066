// Names a known worm or tool when the record's own text (payload strings, signature message,
// user data or URL) or its shape says so. Only plain substring tests on capped text: no regex
// runs over the untrusted payload.

import type { ExtractedRecord } from '../extract/types.js';

const MAX_TEXT = 64 * 1024;

/** Paths the Nimda worm requests (it probes for Code Red II's root.exe and walks directories by Unicode tricks). */
const NIMDA_PATHS = [
  'root.exe',
  'admin.dll',
  '/scripts/..%c1%1c../',
  '/scripts/..%c0%2f../',
  '/scripts/..%c0%af../',
  '/scripts/..%c1%9c../',
  '/scripts/..%%35%63../',
  '/scripts/..%%35c../',
  '/scripts/..%25%35%63../',
  '/scripts/..%252f../',
  '/scripts/..%255c../',
  '/_vti_bin/..%255c../',
  '/_mem_bin/..%255c../',
  '/msadc/..%255c../',
  '/c/winnt/system32/cmd.exe',
  '/d/winnt/system32/cmd.exe',
];

/** Families that signature messages name outright; order matters (Code Red II before Code Red). */
const SIGNATURE_NAMES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['code-red-ii', ['coderedii', 'code red ii', 'codered ii', 'code-red-ii', 'code red 2', 'codered2']],
  ['code-red', ['codered', 'code red', 'code-red']],
  ['nimda', ['nimda']],
  ['slammer', ['slammer', 'sapphire', 'ms-sql worm', 'mssql worm', 'sql slammer']],
  ['blaster', ['blaster', 'msblast', 'lovsan']],
  ['welchia', ['welchia', 'nachi']],
  ['sasser', ['sasser']],
  ['sadmind', ['sadmind/iis', 'sadmind worm']],
];

interface Texts {
  /** lower-cased payload strings */
  payload: string;
  /** lower-cased detail (URL from an alert, ra user data, Zeek history) */
  detail: string;
  /** payload and detail together */
  content: string;
  /** lower-cased signature message */
  message: string;
}

function gather(rec: ExtractedRecord): Texts {
  let payload = '';
  for (const s of rec.payload?.strings ?? []) {
    if (payload.length >= MAX_TEXT) break;
    payload += ' ' + s.slice(0, MAX_TEXT - payload.length);
  }
  payload = payload.toLowerCase();
  const detail = (rec.detail ?? '').slice(0, MAX_TEXT).toLowerCase();
  return { payload, detail, content: `${payload} ${detail}`, message: (rec.signature?.message ?? '').slice(0, 4096).toLowerCase() };
}

function perPacketBytes(rec: ExtractedRecord): number | null {
  if (rec.srcPkts && rec.srcBytes !== null && !rec.totalsOnly) return rec.srcBytes / rec.srcPkts;
  if (rec.totalsOnly && rec.srcPkts && rec.srcBytes !== null) return rec.srcBytes / rec.srcPkts;
  return null;
}

function isUdp(rec: ExtractedRecord): boolean {
  const p = (rec.proto ?? '').toLowerCase();
  return p === 'udp' || p === '17';
}

/** Where a string that names the family was found (it is in the content or the message). */
function whereIn(t: Texts, s: string): string {
  return t.payload.includes(s) ? 'payload' : t.detail.includes(s) ? 'request' : 'signature';
}

function hasText(t: Texts, s: string): boolean {
  return t.content.includes(s) || t.message.includes(s);
}

function nimdaIn(t: Texts, text: string, label: string): { family: string; why: string } | undefined {
  for (const path of NIMDA_PATHS) {
    if (text.includes(path)) {
      const extra = text.includes('cmd.exe') && !path.includes('cmd.exe') ? ' with "cmd.exe"' : '';
      const codeRedName = t.message.includes('codered') || t.message.includes('code red');
      const note =
        path === 'root.exe' && codeRedName
          ? ' (the signature says CodeRed, but requests for root.exe are Nimda probing for the backdoor Code Red II leaves)'
          : '';
      return { family: 'nimda', why: `${label} string "${path}"${extra} is a Nimda request${note}` };
    }
  }
  return undefined;
}

export function detectFamily(rec: ExtractedRecord): { family: string; why: string } | undefined {
  // Most flow records carry no text at all: then only the Slammer size rules can name a family.
  const textless = (rec.payload?.strings ?? []).length === 0 && !rec.detail && !rec.signature?.message;
  const t = textless ? null : gather(rec);
  if (t) {
    if (hasText(t, 'coderedii')) return { family: 'code-red-ii', why: `${whereIn(t, 'coderedii')} string "CodeRedII" names Code Red II` };
    if (hasText(t, '.ida')) {
      if (hasText(t, 'xxxx')) return { family: 'code-red-ii', why: `${whereIn(t, '.ida')} strings ".ida" and "XXXX" filler match Code Red II` };
      if (hasText(t, 'nnnn')) return { family: 'code-red', why: `${whereIn(t, '.ida')} strings ".ida" and "NNNN" filler match Code Red` };
    }
    const inContent = nimdaIn(t, t.payload, 'payload') ?? nimdaIn(t, t.detail, 'request');
    if (inContent) return inContent;
  }
  if (isUdp(rec) && rec.dport === 1434) {
    if (rec.payloadLen === 376 || rec.payload?.bytes === 376) {
      return { family: 'slammer', why: 'a 376-byte UDP payload to port 1434 is the Slammer worm' };
    }
    if (rec.dgmLen === 404) return { family: 'slammer', why: 'a 404-byte UDP datagram to port 1434 is the Slammer worm' };
    const per = perPacketBytes(rec);
    // 404 bytes of IP datagram; 418 when the count includes the Ethernet header
    if (per === 404 || per === 418) {
      return { family: 'slammer', why: `${per} bytes per UDP packet to port 1434 is the size of the Slammer worm` };
    }
  }
  if (!t) return undefined;
  if (t.message) {
    for (const [family, names] of SIGNATURE_NAMES) {
      for (const name of names) {
        if (t.message.includes(name)) {
          return { family, why: `the signature message "${rec.signature?.message ?? ''}" names ${family}` };
        }
      }
    }
  }
  return nimdaIn(t, t.message, 'signature');
}
