/**
 * A strict dotted-quad IPv4 address (four decimal parts, no leading zeros, each at most 255,
 * nothing else) as its four bytes, or null. What ipaddr.js's isValidFourPartDecimal accepts, read
 * by hand: extraction and correlation test millions of tokens and most are not addresses.
 */
export function decimalQuadBytes(addr: string): number[] | null {
  return quadBytes(addr, false);
}

/** decimalQuadBytes that also takes parts with leading zeros (`10.0.01.2` is 10.0.1.2), as posts sometimes print them. */
export function paddedQuadBytes(addr: string): number[] | null {
  return quadBytes(addr, true);
}

function quadBytes(addr: string, leadingZeros: boolean): number[] | null {
  if (addr.length < 7 || addr.length > 15) return null;
  const bytes: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= addr.length; i++) {
    const c = i < addr.length ? addr.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (!leadingZeros && digits > 0 && value === 0) return null;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || bytes.length === 4) return null;
      bytes.push(value);
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  return bytes.length === 4 ? bytes : null;
}

/**
 * decimalQuadBytes as one number (the address as an unsigned 32-bit value), -1 when it is not
 * one: the same test without an array per call.
 */
export function decimalQuadValue(addr: string): number {
  if (addr.length < 7 || addr.length > 15) return -1;
  let total = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= addr.length; i++) {
    const c = i < addr.length ? addr.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || parts === 4) return -1;
      total = total * 256 + value;
      parts += 1;
      value = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? total : -1;
}

export function isDecimalQuad(s: string): boolean {
  return decimalQuadValue(s) >= 0;
}
