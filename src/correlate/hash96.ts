// 96 bits of a string in three 32-bit lanes (multiplicative hashing with a final cross-mix), either
// of a whole string (hash96) or fed piece by piece (Hash96), with the same value for the same
// characters: a key can be hashed from its parts without the key string being built. Two different
// strings share a value with probability ~n²/2⁹⁷ for n strings (~10⁻¹⁷ at a million).

const LOWER_ASCII_END = 0x80;

/** A hash96 computed incrementally: feed the characters of the string in order, then `digest`. */
export class Hash96 {
  a = 0;
  b = 0;
  c = 0;

  reset(salt: number): this {
    this.a = 0xdeadbeef ^ salt;
    this.b = 0x41c6ce57 ^ salt;
    this.c = 0x9e3779b9 ^ salt;
    return this;
  }

  char(ch: number): void {
    this.a = Math.imul(this.a ^ ch, 2654435761);
    this.b = Math.imul(this.b ^ ch, 1597334677);
    this.c = Math.imul(this.c ^ ch, 2246822507);
  }

  string(s: string): void {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      a = Math.imul(a ^ ch, 2654435761);
      b = Math.imul(b ^ ch, 1597334677);
      c = Math.imul(c ^ ch, 2246822507);
    }
    this.a = a;
    this.b = b;
    this.c = c;
  }

  /** the characters of s.toLowerCase() */
  lowerString(s: string): void {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    for (let i = 0; i < s.length; i++) {
      let ch = s.charCodeAt(i);
      if (ch >= LOWER_ASCII_END) {
        // outside ASCII lower-casing may change the length: the string's own toLowerCase
        this.a = a;
        this.b = b;
        this.c = c;
        this.string(s.slice(i).toLowerCase());
        return;
      }
      if (ch >= 65 && ch <= 90) ch += 32;
      a = Math.imul(a ^ ch, 2654435761);
      b = Math.imul(b ^ ch, 1597334677);
      c = Math.imul(c ^ ch, 2246822507);
    }
    this.a = a;
    this.b = b;
    this.c = c;
  }

  /** the characters of String(v) */
  number(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 0x80000000) {
      let div = 1;
      while (div * 10 <= v) div *= 10;
      for (; div >= 1; div /= 10) this.char(48 + (Math.floor(v / div) % 10));
    } else this.string(String(v));
  }

  copyFrom(h: Hash96): void {
    this.a = h.a;
    this.b = h.b;
    this.c = h.c;
  }

  digest(out: Int32Array): void {
    const { a, b, c } = this;
    out[0] = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
    out[1] = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(c ^ (c >>> 13), 3266489909);
    out[2] = Math.imul(c ^ (c >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  }
}

const whole = new Hash96();

/** hash96 of a whole string */
export function hash96(s: string, salt: number, out: Int32Array): void {
  whole.reset(salt).string(s);
  whole.digest(out);
}
