declare module 'mbox-reader' {
  import type { Readable } from 'node:stream';
  interface MboxMessage {
    returnPath: string;
    time: Date;
    content: Buffer;
  }
  export function mboxReader(input: Readable, options?: { encoding?: string }): AsyncIterable<MboxMessage>;
  export default mboxReader;
}
