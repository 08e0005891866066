// One input's JSON document made both ways: from the in-memory corpus and through the spill.
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { writeJsonDocument } from '../../src/analyze/json-out.js';
import { analyzeInputs, analyzeInputsToJson } from '../../src/analyze/run.js';
import { analyzePost } from '../../src/analyze/post.js';
import { SpillCorpus } from '../../src/analyze/spill.js';
import { parseMail } from '../../src/mail/parse.js';
import { readInputs } from '../../src/source/index.js';
import { Collect } from './collect.js';

/** The documents of `file` from the in-memory corpus and from the spill (its files in a new folder under `work`, left empty). */
export async function documentsBothWays(file: string, work: string): Promise<{ memory: string; spilled: string }> {
  const { result } = await analyzeInputs([file], { keepQuestions: false });
  const a = new Collect();
  await writeJsonDocument(result.doc, a);
  const spillDir = mkdtempSync(join(work, 'spill-'));
  const b = new Collect();
  await analyzeInputsToJson([file], b, { tmpDir: spillDir });
  expect(readdirSync(spillDir)).toEqual([]);
  return { memory: a.text(), spilled: b.text() };
}

/** The document of `paths` through a SpillCorpus made with `options` (its sizes set small to reach what large archives reach); unreadable messages skipped. */
export async function spilledDocument(paths: string[], options: ConstructorParameters<typeof SpillCorpus>[0]): Promise<string> {
  const corpus = new SpillCorpus(options);
  for await (const item of readInputs(paths)) {
    if (item.kind === 'error') continue;
    const mail = await parseMail(item.raw, item.input);
    corpus.add(analyzePost(mail, mail.id));
  }
  const out = new Collect();
  await corpus.writeJson(out);
  return out.text();
}
