// The bot with the LLM layer on, against the loopback fake of the OpenAI API: the answer to
// `#listwatch analyze` and the digest carry the model's paragraph; a dead model changes nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { openLlmLayer } from '../src/llm/index.js';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './helpers/fake-openai.js';
import { commandPost, recordsPost } from './helpers/bot-mail.js';
import { bodyText, makeBot, type Harness } from './helpers/bot-harness.js';

const AROHA = 'Aroha Ngata <aroha@noc.harbour-uni.example>';
const SIGRID = 'Sigrid Holm <sigrid@cert.fjordnet.example>';
const ROOT = 'llm-root@noc.harbour-uni.example';
const PARAGRAPH = 'Two organisations report single ACK segments with a payload and no handshake from the same network.';

let h: Harness | null = null;
let fake: FakeOpenAI | null = null;
afterEach(async () => {
  h?.close();
  h = null;
  await fake?.close();
  fake = null;
});

function schemaName(req: RecordedRequest): string {
  return req.body?.response_format?.json_schema?.name ?? '';
}

function llmBot(f: FakeOpenAI, overrides: Parameters<typeof makeBot>[0] = {}): Harness {
  return makeBot(overrides, {
    llm: (store, log) =>
      openLlmLayer({ log, db: store.db, env: { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: f.url, LISTWATCH_LLM_REPLY_BUDGET_MS: '5000' }, overrides: { enabled: true } }),
  });
}

describe('the bot with the LLM layer', () => {
  it('adds the model paragraph to an analyze answer and to the digest', async () => {
    fake = await startFakeOpenAI();
    fake.respond = (req) => {
      const name = schemaName(req);
      if (name === 'prose_statements') return { kind: 'reply', content: { statements: [] } };
      if (name === 'open_questions') return { kind: 'reply', content: { questions: [] } };
      return { kind: 'reply', content: { paragraph: PARAGRAPH } };
    };
    h = llmBot(fake);
    await h.handle(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    await h.handle(recordsPost('llm-2@cert.fjordnet.example', SIGRID, 'Re: Bare ACKs from 100.64/16', '100.64', '198.51.100', { inReplyTo: ROOT }));
    expect(fake.requests).toHaveLength(0); // nobody asked: no model calls
    await h.handle(commandPost('llm-ask@cert.fjordnet.example', SIGRID, ROOT, '#listwatch analyze'));
    expect(fake.requests.length).toBeGreaterThan(0);
    const answer = bodyText(h.outgoing()[0]!.raw).replace(/\s+/g, ' ');
    expect(answer).toContain('IN PROSE');
    expect(answer).toContain(PARAGRAPH);

    await h.bot.runDigestWithLlm(new Date('2026-11-25T23:00:00Z'));
    const digest = h.outgoing().find((o) => o.kind === 'digest')!;
    const mail = await simpleParser(digest.raw);
    expect((mail.text ?? '').replace(/\s+/g, ' ')).toContain(PARAGRAPH);
  });

  it("costs no model call for a stranger's analyze (only members' commands are answered)", async () => {
    fake = await startFakeOpenAI();
    fake.respond = () => ({ kind: 'reply', content: { paragraph: PARAGRAPH } });
    h = llmBot(fake);
    await h.handle(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    await h.handle(commandPost('llm-eve@elsewhere.example', 'Eve <eve@elsewhere.example>', ROOT, '#listwatch analyze'));
    expect(fake.requests).toHaveLength(0);
    expect(h.outgoing()).toHaveLength(0);
  });

  it('answers on time with the deterministic text when the model does not answer', async () => {
    fake = await startFakeOpenAI();
    fake.respond = () => ({ kind: 'status', status: 500, message: 'down' });
    h = llmBot(fake);
    await h.handle(recordsPost(ROOT, AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    const t0 = Date.now();
    await h.handle(commandPost('llm-ask2@noc.harbour-uni.example', AROHA, ROOT, '#listwatch analyze'));
    expect(Date.now() - t0).toBeLessThan(10_000); // the bot's LLM budget here is 3 s; without it, retries run to the 20 s call budget
    const out = h.outgoing();
    expect(out).toHaveLength(1);
    const body = bodyText(out[0]!.raw);
    expect(body).toContain('100.64.0.0/16');
    expect(body).not.toContain('IN PROSE');
  }, 30_000);
});
