// The LLM layer: reads prose the rule pass cannot, and writes the paragraph a colleague would write,
// without ever deciding a fact. Every method returns what it could do within its budget and never
// throws; without a key (or with LISTWATCH_LLM=off) it does nothing and says so once.
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { Corroboration, Finding, Observation } from '../contract.js';
import type { AnalysisResult } from '../analyze/types.js';
import type { ProseStatement, Question } from '../correlate/types.js';
import { statementMatches } from '../correlate/correlate.js';
import { groupPrefix } from '../correlate/prefix.js';
import type { MailPost } from '../mail/types.js';
import { askJson, defaultCompat, type JsonSchemaFormat } from './client.js';
import { LLM_DEFAULTS, llmConfigFromEnv, type LlmConfig } from './config.js';
import { memoryLlmCache, sqliteLlmCache, utcDay, type LlmCache, type LlmUsage } from './cache.js';
import { classGlossary, emptyAllowed, findingFacts, oneLine, ownText, withheldLines, withheldReason, type FindingFacts } from './inputs.js';
import { fenceFor, loadPrompt, renderPrompt, type RenderedPrompt } from './prompts.js';
import { carriesLink, cleanTags, scrubModelText, verbatimQuote, type AllowedFacts } from './sanitize.js';
import {
  CorroborateAnswer,
  DETAIL_TAGS,
  NarrateAnswer,
  QuestionsAnswer,
  corroborateFormat,
  narrateFormat,
  questionsFormat,
} from './schemas.js';

export { llmConfigFromEnv, LlmConfigSchema, type LlmConfig } from './config.js';
export { memoryLlmCache, sqliteLlmCache, type LlmCache } from './cache.js';

export const PROMPT_IDS = { corroborate: 'corroborate.v1', questions: 'questions.v1', narrate: 'narrate.v1' } as const;

/** characters per narrative paragraph */
export const NARRATIVE_MAX = 1200;
const QUESTION_MAX = 500;
const MAX_COMPLETION_TOKENS = 1000;
const MAX_THREAD_TEXT = 24_000;
const MAX_NOTES = 50;
const MAX_CLEARANCE = 50_000;
const ENRICH_THREADS_AT_ONCE = 2;
const INVALID = '!invalid';
const REFUSED = '!refused';

interface ReplyContext {
  signal: AbortSignal;
  deadline: number;
}

/** At most `n` calls in flight; a waiter gives up when its reply's budget is spent. */
class Limiter {
  private readonly waiters: Array<() => void> = [];
  constructor(private free: number) {}

  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      this.waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class LlmLayer {
  readonly active: boolean;
  private readonly client: OpenAI | null;
  private readonly limiter: Limiter;
  /** post id → may be sent; filled from every MailPost the layer is shown */
  private readonly clearance = new Map<string, boolean>();
  private notes: string[] = [];
  private capNotedOn: string | null = null;
  /** SSE streaming; the JSON path is the same code with `stream: false` (tested in llm-client) */
  private readonly stream = true;
  /** request quirks of the configured server/model, learned from its 400s */
  private readonly compat = defaultCompat();

  constructor(
    private readonly cfg: LlmConfig,
    private readonly cache: LlmCache,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.limiter = new Limiter(cfg.maxConcurrency);
    let why: string | null = null;
    if (!cfg.enabled) why = 'switched off (LISTWATCH_LLM=off or llm: off)';
    else if (!cfg.apiKey) why = 'no OPENAI_API_KEY';
    this.active = why === null;
    this.client = this.active ? new OpenAI({ apiKey: cfg.apiKey, baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.callTimeoutMs }) : null;
    if (why) this.log.info(`LLM layer off: ${why}; deterministic output only`);
    else this.log.info({ model: cfg.model, baseURL: cfg.baseURL ?? 'https://api.openai.com/v1' }, 'LLM layer on');
  }

  /** Problems since the last call (timeouts, dropped answers, the daily cap), for CLI notes. */
  takeNotes(): string[] {
    const n = this.notes;
    this.notes = [];
    return n;
  }

  usageToday(): { tokens: number; estimatedCost: number | null } {
    try {
      const u = this.cache.usageOn(utcDay(this.clock()));
      return { tokens: u.prompt + u.completion, estimatedCost: this.cost(u) };
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'LLM usage unavailable');
      return { tokens: 0, estimatedCost: null };
    }
  }

  /** One line for the digest footer, e.g. "LLM (gpt-4o-mini): 12,345 tokens today, about $0.0042"; null when off. */
  usageFooter(): string | null {
    if (!this.active) return null;
    const u = this.usageToday();
    const cost = u.estimatedCost !== null ? `, about $${u.estimatedCost.toFixed(u.estimatedCost < 1 ? 4 : 2)}` : '';
    return `LLM (${this.cfg.model}): ${u.tokens.toLocaleString('en-US')} tokens today${cost}`;
  }

  private cost(u: LlmUsage): number | null {
    const pin = this.cfg.pricePerMTokIn;
    const pout = this.cfg.pricePerMTokOut;
    if (pin === undefined && pout === undefined) return null;
    return (u.prompt * (pin ?? 0) + u.completion * (pout ?? 0)) / 1e6;
  }

  private note(msg: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(msg);
  }

  /** Records which posts may be sent; returns the cleared ones and the lines of the others. */
  private sort(posts: readonly MailPost[]): { sendable: MailPost[]; withheld: Set<string> } {
    const sendable: MailPost[] = [];
    const held: MailPost[] = [];
    for (const p of posts) {
      const reason = withheldReason(p, this.cfg.privateLists);
      this.clearance.set(p.id, reason === null);
      // a long-running bot sees many posts: keep the most recent ones
      if (this.clearance.size > MAX_CLEARANCE) this.clearance.delete(this.clearance.keys().next().value as string);
      if (reason === null) sendable.push(p);
      else {
        held.push(p);
        this.log.debug({ post: p.id, reason }, 'post withheld from the LLM');
      }
    }
    return { sendable, withheld: withheldLines(held) };
  }

  /** Runs `fn` under the per-reply budget and returns whatever it collected by then. */
  private async budgeted<R>(task: string, snapshot: () => R, fn: (ctx: ReplyContext) => Promise<void>): Promise<R> {
    const ac = new AbortController();
    const deadline = Date.now() + this.cfg.replyBudgetMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        this.note(`${task}: reply budget of ${this.cfg.replyBudgetMs} ms spent; kept what was done`);
        resolve();
      }, this.cfg.replyBudgetMs);
    });
    try {
      await Promise.race([
        fn({ signal: ac.signal, deadline }).catch((err: unknown) => {
          this.log.warn({ task, err: errorText(err) }, 'LLM task failed; deterministic text stands');
          this.note(`${task}: ${errorText(err)}`);
        }),
        expired,
      ]);
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    return snapshot();
  }

  /**
   * One cached, capped, concurrency-limited structured call. Null on any failure: the caller
   * keeps the deterministic text.
   */
  private async ask<T>(ctx: ReplyContext, prompt: RenderedPrompt, format: JsonSchemaFormat, validator: ZodType<T>): Promise<T | null> {
    if (!this.client) return null;
    const key = `${prompt.id}|${this.cfg.model}|${sha256(JSON.stringify([prompt.messages, format]))}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      if (hit === INVALID || hit === REFUSED) return null;
      try {
        const v = validator.safeParse(JSON.parse(hit));
        if (v.success) return v.data;
      } catch {
        // a damaged entry is asked again
      }
    }
    if (!(await this.limiter.acquire(ctx.signal))) return null;
    try {
      // checked once a slot is free, so calls that were waiting see what the running ones spent
      const day = utcDay(this.clock());
      const promptChars = prompt.messages.reduce((n, m) => n + m.content.length, 0);
      const used = this.cache.tokensOn(day);
      if (used + Math.ceil(promptChars / 4) + MAX_COMPLETION_TOKENS > this.cfg.dailyTokenCap) {
        if (this.capNotedOn !== day) {
          this.capNotedOn = day;
          this.log.warn({ day, tokens: used, cap: this.cfg.dailyTokenCap }, 'LLM daily token cap reached; no more calls today');
        }
        this.note(`daily token cap of ${this.cfg.dailyTokenCap} reached`);
        return null;
      }
      const deadline = Math.min(Date.now() + this.cfg.callTimeoutMs, ctx.deadline);
      const out = await askJson(this.client, prompt.messages, format, validator, {
        model: this.cfg.model,
        stream: this.stream,
        deadline,
        signal: ctx.signal,
        maxTokens: MAX_COMPLETION_TOKENS,
        compat: this.compat,
      });
      if (out.ok) {
        this.cache.set(key, JSON.stringify(out.value), out.usage);
        this.logUsage(prompt.id, out.usage, day);
        return out.value;
      }
      if (out.answered) {
        // a refusal or two invalid answers: paid for, so not asked again
        this.cache.set(key, out.failure === 'refusal' ? REFUSED : INVALID, out.usage);
        this.logUsage(prompt.id, out.usage, day);
      }
      this.log.warn({ prompt: prompt.id, failure: out.failure, detail: out.detail }, 'LLM call gave nothing usable; deterministic text stands');
      this.note(`${prompt.id}: ${out.failure} (${out.detail})`);
      return null;
    } finally {
      this.limiter.release();
    }
  }

  private logUsage(promptId: string, usage: LlmUsage, day: string): void {
    const u = this.cache.usageOn(day);
    this.log.info(
      { prompt: promptId, call: usage, day, tokensToday: u.prompt + u.completion, estimatedCostToday: this.cost(u) },
      'LLM usage',
    );
  }

  /** Statements in each post's own text that its author sees (or does not see) the same traffic. */
  async corroborate(thread: string, posts: MailPost[]): Promise<ProseStatement[]> {
    if (!this.active) return [];
    const out: ProseStatement[][] = [];
    return this.budgeted(
      'corroborate',
      () => out.flat(),
      async (ctx) => {
        const { sendable, withheld } = this.sort(posts);
        const template = loadPrompt(PROMPT_IDS.corroborate);
        await Promise.all(
          sendable.map(async (post, i) => {
            const text = ownText(post, withheld);
            if (!/[a-z]{3}/i.test(text)) return;
            const subject = oneLine(post.subject);
            const org = oneLine(post.from.org ?? 'unknown');
            const prompt = renderPrompt(template, {
              detail_tags: DETAIL_TAGS.join(', '),
              fence: fenceFor(text, subject, org),
              subject,
              org,
              text,
            });
            const answer = await this.ask(ctx, prompt, corroborateFormat, CorroborateAnswer);
            if (!answer) return;
            const found: ProseStatement[] = [];
            for (const s of answer.statements) {
              const quote = verbatimQuote(s.quote, text);
              if (!quote) {
                this.log.debug({ post: post.id, quote: s.quote.slice(0, 120) }, 'LLM quote not verbatim in the post; dropped');
                continue;
              }
              // a sentence that carries a link or an address is not evidence we repeat to the list
              if (carriesLink(quote)) continue;
              if (found.some((f) => f.quote === quote)) continue;
              found.push({ post: post.id, thread, org: post.from.org, quote, polarity: s.polarity, details: cleanTags(s.details), via: 'llm' });
            }
            out[i] = found;
          }),
        );
      },
    );
  }

  /** Questions the thread's posts ask that no later post answers. */
  async questions(thread: string, posts: MailPost[]): Promise<Question[]> {
    if (!this.active) return [];
    const out: Question[] = [];
    return this.budgeted(
      'questions',
      () => [...out],
      async (ctx) => {
        const { sendable, withheld } = this.sort(posts);
        const ordered = sendable
          .map((p, i) => ({ p, i, t: p.date ? Date.parse(p.date) : NaN }))
          .sort((a, b) => (Number.isFinite(a.t) && Number.isFinite(b.t) ? a.t - b.t : 0) || a.i - b.i)
          .map((x) => ({ post: x.p, text: ownText(x.p, withheld) }))
          .filter((x) => /[a-z]{3}/i.test(x.text));
        // the latest posts when the thread is long: unanswered questions are near its end
        let size = 0;
        let start = ordered.length;
        while (start > 0 && size + ordered[start - 1]!.text.length <= MAX_THREAD_TEXT) size += ordered[--start]!.text.length;
        const shown = ordered.slice(start);
        if (shown.length === 0) return;
        const subject = oneLine(shown[0]!.post.subject);
        const fence = fenceFor(subject, ...shown.map((x) => x.text));
        const tag = fence.slice('<<<DATA '.length, -3);
        const labels = new Map<string, { post: MailPost; text: string }>();
        const blocks = shown.map((x, n) => {
          const label = `P${n + 1}`;
          labels.set(label, x);
          const header = `<<<POST ${label} ${tag}>>> organisation: ${oneLine(x.post.from.org ?? 'unknown')}; date: ${oneLine(x.post.date ?? 'unknown')}`;
          return `${header}\n${x.text}`;
        });
        const prompt = renderPrompt(loadPrompt(PROMPT_IDS.questions), { fence, subject, posts: blocks.join('\n\n') });
        const answer = await this.ask(ctx, prompt, questionsFormat, QuestionsAnswer);
        if (!answer) return;
        for (const q of answer.questions) {
          const asked = labels.get(q.post.trim());
          if (!asked) continue;
          const text = verbatimQuote(q.text, asked.text, { min: 6, max: QUESTION_MAX });
          if (!text || !text.includes('?')) continue;
          if (out.some((o) => o.post === asked.post.id && o.text === text)) continue;
          out.push({ post: asked.post.id, thread, text });
        }
      },
    );
  }

  /**
   * One paragraph per finding and per thread (`thread:<id>`), citing observation ids; only
   * addresses, prefixes and domains present in the facts survive. Pass the thread's MailPosts so
   * the layer knows which posts are TLP:AMBER/RED or private; without them, only posts this layer
   * has already cleared (through corroborate/questions) are used.
   */
  async narrate(result: AnalysisResult, mails?: MailPost[]): Promise<Record<string, string>> {
    if (!this.active) return {};
    const out: Record<string, string> = {};
    return this.budgeted(
      'narrate',
      () => ({ ...out }),
      async (ctx) => {
        if (mails) this.sort(mails);
        const cleared = (post: string) => this.clearance.get(post) === true;
        const obsById = new Map<string, Observation>(result.doc.observations.map((o) => [o.id, o]));
        const template = loadPrompt(PROMPT_IDS.narrate);
        const jobs: Array<Promise<void>> = [];

        const findingJob = async (f: Finding) => {
          const allowed = emptyAllowed();
          const facts = findingFacts(f, obsById, cleared, allowed);
          if (!facts) return;
          const text = await this.narrateFacts(ctx, template, 'one finding', { finding: facts }, facts.observations, allowed);
          if (text) out[f.id] = withCitation(text, facts);
        };
        for (const f of result.doc.findings) jobs.push(findingJob(f));

        const postsByThread = new Map<string, string[]>();
        for (const p of result.doc.posts) {
          const list = postsByThread.get(p.thread) ?? [];
          list.push(p.id);
          postsByThread.set(p.thread, list);
        }
        for (const [thread, ids] of postsByThread) {
          jobs.push(
            (async () => {
              const allowed = emptyAllowed();
              const facts = threadFacts(result, thread, ids, obsById, cleared, allowed);
              if (!facts) return;
              const text = await this.narrateFacts(ctx, template, 'one thread', facts, facts.findings.flatMap((f) => f.observations), allowed);
              if (text) out[`thread:${thread}`] = text;
            })(),
          );
        }
        await Promise.all(jobs);
      },
    );
  }

  private async narrateFacts(
    ctx: ReplyContext,
    template: ReturnType<typeof loadPrompt>,
    scope: string,
    facts: object,
    observations: ReadonlyArray<{ id: string; class: Observation['class'] }>,
    allowed: AllowedFacts,
  ): Promise<string | null> {
    const json = JSON.stringify(facts, null, 1);
    const prompt = renderPrompt(template, {
      scope,
      example_id: observations[0]?.id ?? 'obs-0123456789abcdef',
      class_glossary: classGlossary(observations.map((o) => o.class)),
      fence: fenceFor(json),
      facts: json,
    });
    const answer = await this.ask(ctx, prompt, narrateFormat, NarrateAnswer);
    if (!answer) return null;
    const text = scrubModelText(answer.paragraph, allowed, NARRATIVE_MAX);
    return /[a-z]{3}/i.test(text) ? text : null;
  }
}

/** A finding's narrative always names at least one of its observations. */
function withCitation(text: string, facts: FindingFacts): string {
  if (facts.observations.some((o) => text.includes(o.id))) return text;
  const ids = facts.observations.slice(0, 3).map((o) => o.id);
  const suffix = ` [${ids.join(', ')}]`;
  return text.length + suffix.length <= NARRATIVE_MAX ? `${text}${suffix}` : text;
}

interface ThreadFacts {
  subject: string;
  posts: Array<{ label: string; org: string | null; date: string | null; observations: number }>;
  findings: FindingFacts[];
  statements: Array<{ org: string | null; polarity: string; quote: string; details: string[]; via: string }>;
  questions: Array<{ org: string | null; text: string }>;
}

function threadFacts(
  result: AnalysisResult,
  thread: string,
  postIds: readonly string[],
  obsById: ReadonlyMap<string, Observation>,
  cleared: (post: string) => boolean,
  allowed: AllowedFacts,
): ThreadFacts | null {
  const ids = new Set(postIds.filter(cleared));
  if (ids.size === 0) return null;
  const posts = result.doc.posts.filter((p) => ids.has(p.id));
  const orgOf = new Map(posts.map((p) => [p.id, p.from.org]));
  const findings: FindingFacts[] = [];
  for (const f of result.doc.findings) {
    const inThread = f.observations.some((id) => {
      const o = obsById.get(id);
      return o !== undefined && ids.has(o.post);
    });
    if (!inThread) continue;
    const facts = findingFacts(f, obsById, cleared, allowed, 8);
    if (facts) findings.push(facts);
    if (findings.length >= 8) break;
  }
  const statements = result.statements
    .filter((s) => s.thread === thread && ids.has(s.post))
    .slice(0, 12)
    .map((s) => ({ org: s.org, polarity: s.polarity, quote: s.quote, details: s.details, via: s.via }));
  const questions = result.questions.filter((q) => q.thread === thread && ids.has(q.post)).slice(0, 8).map((q) => ({ org: orgOf.get(q.post) ?? null, text: q.text }));
  if (findings.length === 0 && statements.length === 0) return null;
  for (const p of posts) if (p.from.org) allowed.domains.add(p.from.org.toLowerCase());
  return {
    subject: oneLine(posts[0]?.subject ?? ''),
    posts: posts.map((p, n) => ({ label: `P${n + 1}`, org: p.from.org, date: p.date, observations: p.observations.length })),
    findings,
    statements,
    questions,
  };
}

function normQuote(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

function overlaps(a: string, b: string): boolean {
  const x = normQuote(a);
  const y = normQuote(b);
  return x.includes(y) || y.includes(x);
}

/** Does the statement name this finding rather than another of its thread (mirrors correlate's rule)? */
/** The rule pass's own test of whether a statement names this finding rather than another. */
function statementNames(s: ProseStatement, f: Finding): boolean {
  const prefix16 = groupPrefix(f.actorPrefix.split('/')[0] ?? null);
  return prefix16 !== null && statementMatches(s, { dport: f.dport, behaviour: f.behaviour, prefix16 });
}

/**
 * Adds LLM statements to a result the way the rule pass does: a "same" statement from thread T
 * corroborates the findings whose observations stand in T's posts (narrowed to those it names, if
 * any); an org that already reports or corroborates a finding is not added again; two or more orgs
 * make the finding cross-reporter. Alert/flow (same-traffic) findings take no corroboration.
 * Returns a new result; the input is not changed.
 */
export function mergeCorroboration(result: AnalysisResult, statements: readonly ProseStatement[]): AnalysisResult {
  const threadOfPost = new Map(result.doc.posts.map((p) => [p.id, p.thread]));
  const obsById = new Map(result.doc.observations.map((o) => [o.id, o]));
  const findings: Finding[] = result.doc.findings.map((f) => ({ ...f, corroborating: [...f.corroborating], reporters: [...f.reporters] }));
  const threadsOf = new Map<Finding, Set<string>>();
  for (const f of findings) {
    const threads = new Set<string>();
    for (const id of f.observations) {
      const o = obsById.get(id);
      if (!o || o.duplicateOf !== undefined) continue;
      threads.add(threadOfPost.get(o.post) ?? o.post);
    }
    threadsOf.set(f, threads);
  }

  const merged: ProseStatement[] = [...result.statements];
  for (const s of statements) {
    if (merged.some((m) => m.post === s.post && m.polarity === s.polarity && overlaps(m.quote, s.quote))) continue;
    merged.push(s);
    if (s.polarity !== 'same' || !s.org) continue;
    const candidates = findings.filter((f) => f.kind !== 'same-traffic' && threadsOf.get(f)?.has(s.thread));
    const preferred = candidates.filter((f) => statementNames(s, f));
    for (const f of preferred.length > 0 ? preferred : candidates) {
      if (f.reporters.includes(s.org) || f.corroborating.some((c) => c.org === s.org)) continue;
      const c: Corroboration = { org: s.org, post: s.post, quote: s.quote, via: s.via };
      f.corroborating.push(c);
      if (f.reporters.length + f.corroborating.length >= 2) f.kind = 'cross-reporter';
    }
  }
  return { ...result, doc: { ...result.doc, findings }, statements: merged };
}

/**
 * The layer from the environment (plus config-file overrides), cached in the store's database when
 * one is given. A bad setting is logged and gives an inactive layer: the LLM never stops the bot.
 */
export function openLlmLayer(opts: {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<LlmConfig>;
  db?: import('better-sqlite3').Database;
  clock?: () => Date;
}): LlmLayer {
  let cfg: LlmConfig;
  try {
    cfg = llmConfigFromEnv(opts.env ?? process.env, opts.overrides);
  } catch (err) {
    opts.log.error({ err: errorText(err) }, 'LLM settings are invalid; the LLM layer stays off');
    cfg = { ...LLM_DEFAULTS, enabled: false, privateLists: [] };
  }
  const cache = opts.db ? sqliteLlmCache(opts.db, opts.clock) : memoryLlmCache(opts.clock);
  return new LlmLayer(cfg, cache, opts.log, opts.clock);
}

/** Resolves to `p`'s value, or to `fallback` once `deadline` (epoch ms) passes. */
async function until<T>(p: Promise<T>, deadline: number, fallback: T): Promise<{ value: T; late: boolean }> {
  if (!Number.isFinite(deadline)) return { value: await p, late: false };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ value: T; late: boolean }>((resolve) => {
    timer = setTimeout(() => resolve({ value: fallback, late: true }), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then((value) => ({ value, late: false })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For `listwatch analyze --llm` and the bot: corroboration and questions per thread, merged into
 * the findings, then narratives. `budgetMs` bounds the whole (a bot reply); without it each step
 * has the layer's reply budget. Whatever finishes late is still cached for next time.
 * Never throws; on failure the input comes back unchanged with a note saying why.
 */
export async function enrichWithLlm(
  result: AnalysisResult,
  mails: MailPost[],
  layer: LlmLayer,
  opts: { budgetMs?: number } = {},
): Promise<{ result: AnalysisResult; notes: string[] }> {
  if (!layer.active) return { result, notes: ['LLM off: no OPENAI_API_KEY or LISTWATCH_LLM=off; deterministic output only'] };
  const deadline = opts.budgetMs !== undefined ? Date.now() + opts.budgetMs : Infinity;
  const lateNotes: string[] = [];
  try {
    const threadOfPost = new Map(result.doc.posts.map((p) => [p.id, p.thread]));
    const byThread = new Map<string, MailPost[]>();
    for (const m of mails) {
      const thread = threadOfPost.get(m.id);
      if (thread === undefined) continue;
      const list = byThread.get(thread) ?? [];
      list.push(m);
      byThread.set(thread, list);
    }
    // a few threads at a time: each thread's reply budget starts when its turn comes
    const threads = [...byThread];
    const perThread: Array<{ s: ProseStatement[]; q: Question[] }> = [];
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (!stopped && next < threads.length) {
        const i = next++;
        const [thread, posts] = threads[i]!;
        const [s, q] = await Promise.all([layer.corroborate(thread, posts), layer.questions(thread, posts)]);
        perThread[i] = { s, q };
      }
    };
    const first = await until(
      Promise.all(Array.from({ length: Math.min(ENRICH_THREADS_AT_ONCE, threads.length) }, worker)).then(() => undefined),
      deadline,
      undefined,
    );
    if (first.late) {
      stopped = true;
      lateNotes.push(`LLM budget of ${opts.budgetMs} ms spent reading posts; used what was done`);
    }
    const done = perThread.filter((t): t is { s: ProseStatement[]; q: Question[] } => t !== undefined);
    const statements = done.flatMap((t) => t.s);
    const questions = done.flatMap((t) => t.q);
    const merged = mergeCorroboration(result, statements);
    const allQuestions = [...merged.questions];
    for (const q of questions) {
      if (!allQuestions.some((o) => o.post === q.post && overlaps(o.text, q.text))) allQuestions.push(q);
    }
    const withQuestions: AnalysisResult = { ...merged, questions: allQuestions };
    let narratives: Record<string, string> = {};
    if (Date.now() < deadline) {
      const n = await until(layer.narrate(withQuestions, mails), deadline, {});
      narratives = n.value;
      if (n.late) lateNotes.push(`LLM budget of ${opts.budgetMs} ms spent before the narratives were written`);
    }
    const enriched: AnalysisResult =
      Object.keys(narratives).length > 0 ? { ...withQuestions, narratives: { ...(result.narratives ?? {}), ...narratives } } : withQuestions;
    const usage = layer.usageToday();
    const notes = [
      `LLM: ${statements.length} prose statement(s), ${questions.length} question(s), ${Object.keys(narratives).length} narrative(s); ` +
        `${usage.tokens} tokens today${usage.estimatedCost !== null ? ` (about $${usage.estimatedCost.toFixed(4)})` : ''}`,
      ...lateNotes,
      ...layer.takeNotes(),
    ];
    return { result: enriched, notes };
  } catch (err) {
    return { result, notes: [`LLM enrichment failed, deterministic output only: ${errorText(err)}`, ...lateNotes, ...layer.takeNotes()] };
  }
}
