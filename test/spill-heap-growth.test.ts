// The spill sets V8's heap growing factor (process-wide) once a corpus has many posts and puts it
// back when disposed: with two corpora alive, the first disposed must not put it back under the
// other, and the last one disposed must.
import { expect, it } from 'vitest';
import { PostFactory } from '../bench/generate.js';
import { analyzePost } from '../src/analyze/post.js';
import { heapGrowthHeld, SpillCorpus } from '../src/analyze/spill.js';
import { parseMail } from '../src/mail/parse.js';

it('keeps the heap growing factor set while any corpus of many posts is alive', async () => {
  const factory = new PostFactory(5, undefined, 'hg');
  const posts = [];
  for (let i = 0; i < 2002; i++) {
    const raw = Buffer.from(factory.next({}).raw);
    const mail = await parseMail(raw, `p${i}`);
    posts.push(analyzePost(mail, mail.id));
  }
  const a = new SpillCorpus();
  const b = new SpillCorpus();
  try {
    expect(heapGrowthHeld()).toBe(false);
    // (set from the 1,001st post on)
    for (const pa of posts.slice(0, 1001)) a.add(pa);
    expect(heapGrowthHeld()).toBe(true);
    for (const pa of posts.slice(1001)) b.add(pa);
    a.dispose();
    expect(heapGrowthHeld()).toBe(true);
    b.dispose();
    expect(heapGrowthHeld()).toBe(false);
  } finally {
    a.dispose();
    b.dispose();
  }
}, 60_000);
