import { describe, expect, it } from 'vitest';
import { binaryReason } from '../src/mail/parse.js';
import { detectTlp } from '../src/mail/tlp.js';

describe('detectTlp', () => {
  it('reads labels in any case, in ASCII text and beyond it', () => {
    expect(detectTlp(null, 'no label here, just tlp talk')).toBeNull();
    expect(detectTlp(null, 'shared as tlp:amber, thanks')).toBe('AMBER');
    expect(detectTlp('[TLP:GREEN] scans', 'Grüße aus Oslo, TLP: RED')).toBe('RED');
    expect(detectTlp(null, 'Grüße aus Oslo, nothing labelled')).toBeNull();
    expect(detectTlp(null, 'ATLP:RED is not a label')).toBeNull();
  });
});

describe('binaryReason', () => {
  it('passes text with tabs, form feeds and ESC, and counts NUL and other control bytes', () => {
    expect(binaryReason(Buffer.from('Subject: x\r\n\r\nline\tone\f\x1b[0m\n'))).toBeNull();
    expect(binaryReason(Buffer.from('Subject: x\n\nnul \x00 here\n'))).toBe('binary data (1 NUL bytes in the first 23 bytes)');
    expect(binaryReason(Buffer.from('\x01\x02\x03\x04abc'))).toBe('binary data (4 control bytes in the first 7 bytes)');
    expect(binaryReason(Buffer.from(`one control \x07 in ${'text '.repeat(20)}`))).toBeNull();
  });
});
