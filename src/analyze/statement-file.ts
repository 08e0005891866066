// The "same" statements with an organisation that the spilling corpus's findings read, in a file:
// one JSON record each, read back in order (threads resolved, the findings' first pass) and by
// number (a group's statements when its finding is built). Held in memory they grew with the
// archive (~37 a 1,000 posts, each with its post id, thread, org and quote).

import type { ProseStatement } from '../correlate/types.js';
import type { StatementList } from '../correlate/correlate.js';
import { Int32List } from '../correlate/typed-lists.js';
import { RecordFile } from './spill-store.js';

export class StatementFile implements StatementList {
  private readonly file: RecordFile;
  /** by statement: the number its thread was given (appended with one), else -1 */
  private readonly threadNumbers = new Int32List();

  constructor(path: string) {
    this.file = new RecordFile(path);
  }

  get length(): number {
    return this.file.count;
  }

  /** threadNumber: the statement's thread as the groups were given it, a number (threadOf); -1: none */
  append(s: ProseStatement, threadNumber = -1): void {
    // JSON keeps a lone surrogate of a subject-named thread (as \udxxx), and the strings come back flat
    this.file.appendString(JSON.stringify(s));
    this.threadNumbers.push(threadNumber);
  }

  threadOf(k: number): number {
    return this.threadNumbers.get(k);
  }

  *[Symbol.iterator](): Iterator<ProseStatement> {
    for (const line of this.file.strings()) yield JSON.parse(line) as ProseStatement;
  }

  /** statement k in the order appended (once every one is appended) */
  at(k: number): ProseStatement | undefined {
    if (!(k >= 0 && k < this.file.count)) return undefined;
    this.file.finishWrites();
    const bytes = this.file.read(k);
    return JSON.parse(bytes.toString('utf8')) as ProseStatement;
  }

  close(): void {
    this.file.close();
  }
}
