import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import type { ProseStatement } from '../src/correlate/types.js';
import { memoryLlmCache } from '../src/llm/cache.js';
import { llmConfigFromEnv, type LlmConfig } from '../src/llm/config.js';
import { enrichWithLlm, LlmLayer, mergeCorroboration, openLlmLayer } from '../src/llm/index.js';
import { ownText } from '../src/llm/inputs.js';
import { parseMail } from '../src/mail/parse.js';
import { startFakeOpenAI, type Behaviour, type FakeOpenAI, type RecordedRequest } from './helpers/fake-openai.js';
import { captureLog, mailPost, seedMailPost } from './helpers/llm-mail.js';
import { MATTHEW, RUSSELL, SECRET, THREAD, sampleResult } from './helpers/llm-result.js';

const SEED = new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url).pathname;
const DEMO = new URL('../fixtures/demo-list', import.meta.url).pathname;
const MATTHEW_POST = 'collins-1@northernregistrars.co.uk';
const QUOTE = "I've seen this as well. I noticed it because the alert was occuring on IP addresses in our range that are not currently in use.";

function statement(over: Partial<ProseStatement> = {}): ProseStatement {
  return { post: MATTHEW_POST, thread: THREAD, org: 'northernregistrars.co.uk', quote: QUOTE, polarity: 'same', details: ['unused-addresses'], via: 'llm', ...over };
}

describe('mergeCorroboration', () => {
  it('a "same" statement corroborates the findings of its thread, marked llm; two orgs make it cross-reporter', () => {
    const input = sampleResult();
    const before = JSON.stringify(input);
    const out = mergeCorroboration(input, [statement()]);
    const f = out.doc.findings.find((x) => x.id === 'f-000000000c01')!;
    expect(f.corroborating).toEqual([{ org: 'northernregistrars.co.uk', post: MATTHEW_POST, quote: QUOTE, via: 'llm' }]);
    expect(f.kind).toBe('cross-reporter');
    // the other thread's finding is untouched, and so is the input
    expect(out.doc.findings.find((x) => x.id === 'f-000000000c02')!.corroborating).toEqual([]);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.statements).toHaveLength(1);
  });

  it('adds nothing for not-same statements, unknown orgs, other threads, reporters themselves, or what the rule pass already has', () => {
    const input = sampleResult();
    input.statements.push({ ...statement(), via: 'rule' });
    input.doc.findings[0]!.corroborating.push({ org: 'northernregistrars.co.uk', post: MATTHEW_POST, quote: QUOTE, via: 'rule' });
    const out = mergeCorroboration(input, [
      statement(), // the rule pass found the same sentence
      statement({ quote: 'There was nothing there to complete the handshake.' }), // same org again
      statement({ post: 'x', org: 'elsewhere.example', polarity: 'not-same', quote: 'We see none of this here.' }),
      statement({ post: 'y', org: null, quote: 'Same here, lots of them.' }),
      statement({ post: 'z', org: 'other.example', thread: 'another-thread', quote: 'Same here, lots of them.' }),
      statement({ post: THREAD, org: 'auckland.ac.nz', quote: 'We keep seeing them.' }),
    ]);
    expect(out.doc.findings[0]!.corroborating).toEqual([{ org: 'northernregistrars.co.uk', post: MATTHEW_POST, quote: QUOTE, via: 'rule' }]);
    expect(out.doc.findings[1]!.corroborating).toEqual([]);
    // the statements themselves are kept (all but the duplicate of the rule pass's)
    expect(out.statements).toHaveLength(6);
  });

  it('same-traffic findings take no corroboration', () => {
    const input = sampleResult();
    input.doc.findings[0]!.kind = 'same-traffic';
    expect(mergeCorroboration(input, [statement()]).doc.findings[0]!.corroborating).toEqual([]);
  });
});

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.close();
});

function cfg(over: Partial<LlmConfig> = {}): LlmConfig {
  return llmConfigFromEnv({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.url }, over);
}

function model(req: RecordedRequest): Behaviour {
  const user = String(req.body?.messages?.[1]?.content ?? '');
  switch (req.body?.response_format?.json_schema?.name) {
    case 'prose_statements':
      return {
        kind: 'reply',
        content: { statements: user.includes("I've seen this as well") ? [{ quote: QUOTE, polarity: 'same', details: ['unused-addresses'] }] : [] },
      };
    case 'open_questions':
      return { kind: 'reply', content: { questions: user.includes('Any idea what is going on?') ? [{ post: 'P1', text: 'Any idea what is going on?' }] : [] } };
    case 'narrative': {
      const ids = [...user.matchAll(/"id": "(obs-[0-9a-f]+)"/g)].map((m) => m[1]);
      return { kind: 'reply', content: { paragraph: `Bare ACKs without a handshake, the mark of a sender not waiting for replies [${ids[0] ?? 'none'}].` } };
    }
  }
  return { kind: 'status', status: 400 };
}

describe('enrichWithLlm', () => {
  const mails = () => [
    mailPost({ id: THREAD, from: RUSSELL, blocks: [{ lines: ['Snort logged a bunch of somewhat anomolous packets.', 'Any idea what is going on?'] }] }),
    mailPost({ id: MATTHEW_POST, from: MATTHEW, blocks: [{ lines: QUOTE.split(' not currently ').map((s, i) => (i === 0 ? `${s} not currently ` : s)) }] }),
    mailPost({ id: 'amber-1@amber-corp.example', from: SECRET, tlp: 'AMBER', blocks: [{ lines: ["AMBER-MARKER I've seen this as well."] }] }),
  ];

  it('adds LLM corroboration, questions and narratives to a result', async () => {
    fake.respond = model;
    const layer = new LlmLayer(cfg(), memoryLlmCache(), captureLog().log);
    const input = sampleResult();
    const { result, notes } = await enrichWithLlm(input, mails(), layer);
    const f = result.doc.findings.find((x) => x.id === 'f-000000000c01')!;
    expect(f.kind).toBe('cross-reporter');
    expect(f.corroborating).toEqual([{ org: 'northernregistrars.co.uk', post: MATTHEW_POST, quote: QUOTE, via: 'llm' }]);
    expect(result.questions).toEqual([{ post: THREAD, thread: THREAD, text: 'Any idea what is going on?' }]);
    expect(Object.keys(result.narratives ?? {}).sort()).toEqual(['f-000000000c01', `thread:${THREAD}`]);
    expect(result.narratives!['f-000000000c01']).toMatch(/\[obs-0000000000000a0\d\]/);
    expect(notes[0]).toMatch(/^LLM: 1 prose statement\(s\), 1 question\(s\), 2 narrative\(s\); \d+ tokens today/);
    expect(fake.receivedText()).not.toContain('AMBER-MARKER');
    expect(input.doc.findings[0]!.corroborating).toEqual([]);
  });

  it('with the model down the result comes back as it was, with notes', async () => {
    fake.respond = () => ({ kind: 'status', status: 500 });
    const layer = new LlmLayer(cfg({ callTimeoutMs: 300 }), memoryLlmCache(), captureLog().log);
    const input = sampleResult();
    const { result, notes } = await enrichWithLlm(input, mails(), layer);
    expect(result).toEqual(input);
    expect(notes.join('\n')).toMatch(/HTTP 500/);
  });

  it('an overall budget bounds the whole enrichment; what was read in time is kept', async () => {
    // corroboration and questions answer at once, the narratives hang
    fake.respond = (req) => (req.body?.response_format?.json_schema?.name === 'narrative' ? { kind: 'hang' } : model(req));
    const layer = new LlmLayer(cfg(), memoryLlmCache(), captureLog().log);
    const t0 = Date.now();
    const { result, notes } = await enrichWithLlm(sampleResult(), mails(), layer, { budgetMs: 600 });
    expect(Date.now() - t0).toBeLessThan(5000); // the hanging narrative call would never return
    expect(result.doc.findings[0]!.corroborating.map((c) => c.via)).toEqual(['llm']);
    expect(result.narratives).toBeUndefined();
    expect(notes.join('\n')).toMatch(/before the narratives were written/);
  });

  it('off: the same object and one note', async () => {
    const layer = new LlmLayer(llmConfigFromEnv({}), memoryLlmCache(), captureLog().log);
    const input = sampleResult();
    const out = await enrichWithLlm(input, mails(), layer);
    expect(out.result).toBe(input);
    expect(out.notes).toEqual(['LLM off: no OPENAI_API_KEY or LISTWATCH_LLM=off; deterministic output only']);
  });
});

describe('openLlmLayer and the footer', () => {
  it('builds a layer from the environment; bad settings give an inactive layer, not an exception', async () => {
    const cap = captureLog();
    const bad = openLlmLayer({ log: cap.log, env: { OPENAI_API_KEY: 'k', LISTWATCH_LLM_CONCURRENCY: '0' } });
    expect(bad.active).toBe(false);
    expect(bad.usageFooter()).toBeNull();
    expect(cap.messages().join('\n')).toMatch(/LLM settings are invalid/);

    fake.respond = () => ({ kind: 'reply', content: { statements: [] }, usage: { prompt_tokens: 12000, completion_tokens: 345 } });
    const layer = openLlmLayer({
      log: cap.log,
      env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.url, LISTWATCH_LLM_MODEL: 'local-model', LISTWATCH_LLM_PRICE_IN: '0.15', LISTWATCH_LLM_PRICE_OUT: '0.6' },
    });
    await layer.corroborate(THREAD, [seedMailPost()]);
    expect(layer.usageFooter()).toBe('LLM (local-model): 12,345 tokens today, about $0.0020');
  });
});

describe('over the real pipeline', () => {
  it('the seed: the mail parser gives the same own text the pinned prompt was rendered from', async () => {
    const mail = await parseMail(readFileSync(SEED), SEED);
    expect(ownText(mail)).toBe(ownText(seedMailPost()));
  });

  it('the seed: the LLM finds what the rule pass found and adds no duplicate; narratives cite real observations', async () => {
    fake.respond = model;
    const run = await analyzeInputs([SEED], { keepMail: true });
    const layer = new LlmLayer(cfg(), memoryLlmCache(), captureLog().log);
    const { result } = await enrichWithLlm(run.result, run.mails, layer);
    const ruleCorroborations = run.result.doc.findings.flatMap((f) => f.corroborating);
    expect(ruleCorroborations.length).toBeGreaterThan(0);
    expect(result.doc.findings.flatMap((f) => f.corroborating)).toEqual(ruleCorroborations);
    expect(result.statements.filter((s) => s.quote === QUOTE)).toHaveLength(1);
    const obsIds = new Set(run.result.doc.observations.map((o) => o.id));
    for (const f of run.result.doc.findings) {
      const text = result.narratives?.[f.id];
      expect(text).toBeDefined();
      const cited = [...text!.matchAll(/obs-[0-9a-f]{16}/g)].map((m) => m[0]);
      expect(cited.length).toBeGreaterThan(0);
      for (const id of cited) expect(obsIds.has(id)).toBe(true);
    }
    const corroborateRequests = fake.requests.filter((r) => r.body?.response_format?.json_schema?.name === 'prose_statements');
    expect(corroborateRequests).toHaveLength(1);
    expect(JSON.stringify(corroborateRequests[0]!.body)).not.toMatch(/Snort logged|confidential|SecurityFocus/);
  });

  it('the demo list configured as private: nothing leaves the machine', async () => {
    fake.respond = model;
    const run = await analyzeInputs([DEMO], { keepMail: true });
    expect(run.mails.length).toBeGreaterThan(3);
    const layer = new LlmLayer(cfg({ privateLists: ['incidents.lists.example'] }), memoryLlmCache(), captureLog().log);
    const { result } = await enrichWithLlm(run.result, run.mails, layer);
    expect(fake.requests).toHaveLength(0);
    expect(result.narratives).toBeUndefined();
  });
});
