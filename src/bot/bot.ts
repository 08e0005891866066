import type { Logger } from 'pino';
import { SCHEMA } from '../contract.js';
import type { Config } from '../config/schema.js';
import type { AnalysisResult, PostAnalysis } from '../analyze/types.js';
import { enrichWithLlm, type LlmLayer } from '../llm/index.js';
import { analyzePost } from '../analyze/post.js';
import { analyzeThread } from '../analyze/corpus.js';
import { groupKey } from '../correlate/correlate.js';
import { parseMail } from '../mail/parse.js';
import type { MailPost } from '../mail/types.js';
import { renderText } from '../report/text.js';
import { digestMail, renderDigest, type DigestFinding, type DigestInput, type RenderedDigest } from '../report/digest.js';
import { composeReply } from '../deliver/compose.js';
import { killSwitchActive, type Outbox } from '../deliver/outbox.js';
import type { FindingChange, Store } from '../store/store.js';
import { checkGuards, type GuardVerdict } from './guards.js';
import { HELP_TEXT, parseCommands, type Command, type CommandProblem } from './commands.js';
import { correlatePrefix, explainObservation } from './answers.js';
import { dayIn } from '../report/digest-time.js';
import { hoursBefore } from './time.js';

const EXCLUDED_TLP = new Set(['AMBER', 'RED']);

export interface HandleResult {
  messageId: string | null;
  outcome: 'analyzed' | 'duplicate' | 'own' | 'foreign' | 'unparseable' | 'error';
  reason?: string;
  thread?: string;
  observations?: number;
  findingChanges?: number;
  /** Message-IDs of the mail this post caused (queued in the outbox) */
  queued: string[];
}

export interface BotOptions {
  config: Config;
  store: Store;
  outbox: Outbox;
  log: Logger;
  now?: () => Date;
  /** the optional LLM layer (narratives, corroboration from prose); null or inactive: deterministic only */
  llm?: LlmLayer | null;
  /** the most an answer waits for the LLM layer before going out with what it has (default 20 s) */
  llmBudgetMs?: number;
}

interface Asker {
  /** the sender's address, lower-cased */
  address: string | null;
  member: boolean;
  commands: Command[];
  problems: CommandProblem[];
}

interface Plan {
  result: HandleResult;
  logLines: Array<[string, Record<string, unknown>]>;
}

/**
 * The bot's loop for one message: parse → guards → analyse → store (one transaction with the
 * outgoing mail it causes) → the caller moves its cursor → flush the outbox.
 */
export class Bot {
  readonly config: Config;
  readonly store: Store;
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly now: () => Date;
  readonly llm: LlmLayer | null;
  private readonly llmBudgetMs: number;
  private readonly allowlist: Set<string>;

  constructor(opts: BotOptions) {
    this.llm = opts.llm ?? null;
    this.llmBudgetMs = opts.llmBudgetMs ?? 20_000;
    this.config = opts.config;
    this.store = opts.store;
    this.outbox = opts.outbox;
    this.log = opts.log;
    this.now = opts.now ?? (() => new Date());
    this.allowlist = new Set(opts.config.allowlist.map((a) => a.toLowerCase()));
    // the zone's Intl formatter (~20 ms the first time, ICU's data) is made here, not in the first post's answer
    try {
      dayIn(this.now(), this.config.timeZone);
    } catch {
      // an unknown zone fails where the day is asked for, as before
    }
  }

  private killSwitch(): string | null {
    return killSwitchActive(this.config.killSwitchFile, this.config.killSwitchEnv);
  }

  /** Handles one raw message. Resolves once everything it decided is committed; never throws for bad mail. */
  async handle(raw: Buffer, input: string, opts: { answer?: boolean } = {}): Promise<HandleResult> {
    const at = this.now();
    let mail: MailPost;
    try {
      mail = await parseMail(raw, input);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.store.recordError(input, `unparseable: ${message}`, at.toISOString());
      this.log.warn({ input, err: message }, 'could not parse a message; skipped');
      return { messageId: null, outcome: 'unparseable', reason: message, queued: [] };
    }
    if (this.store.isProcessed(mail.id)) {
      this.log.debug({ input, messageId: mail.id }, 'already processed; skipped');
      return { messageId: mail.id, outcome: 'duplicate', queued: [] };
    }
    const verdict = checkGuards(mail, {
      botAddress: this.config.address,
      listId: this.config.listId,
      ownByOutbox: this.outbox.isOwnMessage({ messageId: mail.id, xLoop: mail.headers.xLoop }),
    });
    if (verdict.kind === 'own' || verdict.kind === 'foreign') {
      this.store.transaction(() => {
        if (verdict.kind === 'own') this.outbox.markSeen(mail.id);
        this.store.markProcessed(mail.id, input, `${verdict.kind}: ${verdict.reason}`, at.toISOString());
      });
      this.log.info({ input, messageId: mail.id, reason: verdict.reason }, verdict.kind === 'own' ? 'our own message came back; marked delivered' : 'not list mail; ignored');
      return { messageId: mail.id, outcome: verdict.kind, reason: verdict.reason, queued: [] };
    }

    let plan: Plan;
    try {
      // pure work outside the transaction
      const thread = this.store.threadFor(mail, at);
      const analysis = analyzePost(mail, thread);
      const answer = opts.answer !== false;
      const asker = this.askerOf(mail);
      // the LLM works before the transaction (it is slow and may fail); its text is used if it came
      const enriched = answer && verdict.kind === 'ok' ? await this.enrichIfWanted(mail, analysis, asker) : null;
      plan = this.store.transaction(() => this.commitPost(mail, analysis, verdict, asker, input, at, answer, enriched));
    } catch (err) {
      const message = err instanceof Error ? `${err.message}` : String(err);
      if (!this.store.db.open) throw err;
      // a bug costs this message, never the loop; it is recorded so it is not retried forever
      this.store.transaction(() => {
        this.store.recordError(input, `analysis failed: ${message}`, at.toISOString());
        this.store.markProcessed(mail.id, input, `error: ${message}`, at.toISOString());
      });
      this.log.error({ input, messageId: mail.id, err: message }, 'analysis failed; message skipped');
      return { messageId: mail.id, outcome: 'error', reason: message, queued: [] };
    }
    for (const [msg, fields] of plan.logLines) this.log.info(fields, msg);
    return plan.result;
  }

  /** Who sent the post and what it asks; membership is judged before this post counts, so a stranger's first mail cannot command. */
  private askerOf(mail: MailPost): Asker {
    const address = mail.from.address?.toLowerCase() ?? null;
    const member = !!address && (this.allowlist.has(address) || this.store.isMember(address));
    return { address, member, ...parseCommands(mail) };
  }

  /**
   * With the LLM layer on, and only when this post will get a thread analysis (an `analyze` from a
   * member, or a possible auto-reply), the thread's analysis enriched with corroboration read from
   * prose and narratives. Never throws; null when not wanted or not possible.
   */
  private async enrichIfWanted(mail: MailPost, analysis: PostAnalysis, asker: Asker): Promise<AnalysisResult | null> {
    if (!this.llm?.active) return null;
    const thread = analysis.post.thread;
    const asks = asker.member && asker.commands.some((c) => c.name === 'analyze');
    const auto = this.config.autoReply && analysis.observations.length > 0 && !this.store.threadState(thread).autoReplied;
    if (!asks && !auto) return null;
    try {
      const stored = this.store.threadAnalyses(thread);
      const result = analyzeThread([...stored, analysis]);
      const mails = [...this.store.mailsOf(stored.map((a) => a.post.id)), mail];
      const { result: enriched, notes } = await enrichWithLlm(result, mails, this.llm, { budgetMs: this.llmBudgetMs });
      if (notes.length) this.log.info({ messageId: mail.id, notes }, 'LLM notes');
      return enriched;
    } catch (err) {
      this.log.warn({ messageId: mail.id, err: (err as Error).message }, 'LLM enrichment failed; deterministic answer');
      return null;
    }
  }

  private commitPost(
    mail: MailPost,
    analysis: PostAnalysis,
    verdict: GuardVerdict,
    asker: Asker,
    input: string,
    at: Date,
    answer: boolean,
    enriched: AnalysisResult | null = null,
  ): Plan {
    const atIso = at.toISOString();
    const day = dayIn(at, this.config.timeZone);
    const thread = analysis.post.thread;
    const { address: sender, member, commands, problems } = asker;
    const logLines: Plan['logLines'] = [];
    const queued: string[] = [];

    // the store keeps per group key aggregates up to date with the post (duplicates, joins, prose
    // corroboration of its thread); the findings it touched are rebuilt from them, whatever the history's size
    const touched = this.store.saveAnalysis(analysis, groupKey, day, atIso);
    const changes = touched ? this.store.refreshFindings(touched, day) : [];
    if (sender && verdict.kind === 'ok') this.store.addMember(sender, atIso);
    logLines.push([
      'analyzed a post',
      {
        input,
        messageId: mail.id,
        from: sender,
        subject: mail.subject,
        thread,
        observations: analysis.observations.length,
        findingsNew: changes.filter((c) => c.added).length,
        findingsGrown: changes.filter((c) => !c.added).length,
      },
    ]);

    if (verdict.kind === 'automated') {
      logLines.push(['not answering an automated message', { messageId: mail.id, reason: verdict.reason }]);
    } else if (!answer) {
      logLines.push(['history: analysed, not answered', { messageId: mail.id }]);
    } else {
      const kill = this.killSwitch();
      if (problems.length) logLines.push(['ignored command lines', { messageId: mail.id, problems }]);
      if (commands.length && kill) {
        logLines.push(['kill switch on: commands not answered', { messageId: mail.id, killSwitch: kill }]);
      } else if (commands.length && !member) {
        logLines.push(['commands from a sender who is not a list member; ignored', { messageId: mail.id, from: sender, commands: commands.map((c) => c.name) }]);
      } else if (commands.length && sender) {
        queued.push(...this.answerCommands(mail, thread, sender, commands, atIso, day, logLines, enriched));
      }
      if (this.config.autoReply && !commands.length && analysis.observations.length > 0) {
        const reply = this.autoReply(mail, thread, sender, changes, kill, enriched, logLines);
        if (reply) queued.push(reply);
      }
    }
    this.store.markProcessed(mail.id, input, 'analyzed', atIso);
    return {
      result: {
        messageId: mail.id,
        outcome: 'analyzed',
        thread,
        observations: analysis.observations.length,
        findingChanges: changes.length,
        queued,
      },
      logLines,
    };
  }

  /** The one unasked answer a thread gets, when the post adds a finding or a reporter; its Message-ID when queued. */
  private autoReply(
    mail: MailPost,
    thread: string,
    sender: string | null,
    changes: FindingChange[],
    kill: string | null,
    enriched: AnalysisResult | null,
    logLines: Plan['logLines'],
  ): string | null {
    const adds = changes.filter((c) => c.added || c.newReporters.length > 0);
    const state = this.store.threadState(thread);
    const quiet = (why: string, fields: Record<string, unknown> = {}): null => {
      logLines.push([why, { messageId: mail.id, ...fields }]);
      return null;
    };
    if (adds.length === 0) return quiet('auto-reply: the post adds no finding or reporter; staying quiet');
    if (state.autoReplied) return quiet('auto-reply: already answered this thread once', { thread });
    if (state.replies >= this.config.rateLimits.threadReplyBudget) return quiet('auto-reply: the thread reply budget is spent', { thread });
    if (kill) return quiet('kill switch on: no auto-reply', { killSwitch: kill });
    const body = this.threadReport(thread, adds, enriched);
    const recipients = this.config.replyTo === 'list' || !sender ? [this.config.listAddress] : [sender];
    const r = this.outbox.enqueue(composeReply(this.replyTarget(mail, sender), body, { cause: `auto:${thread}`, recipients }));
    if (!r.queued) return null;
    this.store.countThreadReply(thread, true);
    logLines.push(['auto-reply queued', { messageId: mail.id, reply: r.messageId, to: recipients, adds: adds.map((c) => c.finding.id) }]);
    return r.messageId;
  }

  private replyTarget(mail: MailPost, sender: string | null): { messageId: string; subject: string | null; references: string[]; from: string } {
    return { messageId: mail.id, subject: mail.subject, references: mail.references, from: mail.from.name ?? sender ?? '' };
  }

  /** The thread's analysis as text, plus what the history adds to the findings that changed. */
  private threadReport(thread: string, changes: FindingChange[] = [], enriched: AnalysisResult | null = null): string {
    const result = enriched ?? analyzeThread(this.store.threadAnalyses(thread));
    const parts = [renderText(result, { showTargets: this.config.showTargets })];
    const narratives = Object.entries(result.narratives ?? {});
    if (narratives.length) {
      parts.push('', 'IN PROSE (written by a language model from the records above; the records are the evidence):');
      for (const [key, text] of narratives.slice(0, 12)) parts.push('', `${key.startsWith('thread:') ? 'The thread' : key}:`, text);
    }
    const inThread = new Set(result.doc.findings.map((f) => f.id));
    const elsewhere = changes.filter((c) => !inThread.has(c.finding.id));
    if (elsewhere.length) {
      parts.push('', 'Across the list history:');
      for (const c of elsewhere.slice(0, 10)) {
        const f = c.finding;
        const fresh = c.newReporters.length ? `; new here: ${c.newReporters.join(', ')}` : '';
        parts.push(`  ${f.id} ${f.kind}: ${f.summary} (reporters ${f.reporters.join(', ') || '-'}${fresh})`);
      }
    }
    return parts.join('\n');
  }

  private answerCommands(
    mail: MailPost,
    thread: string,
    sender: string,
    commands: Command[],
    atIso: string,
    day: string,
    logLines: Plan['logLines'],
    enriched: AnalysisResult | null = null,
  ): string[] {
    const limit = this.config.rateLimits.perSenderPerHour;
    const used = this.store.countRequests(sender, hoursBefore(new Date(atIso), 1));
    const allowed = commands.slice(0, Math.max(0, limit - used));
    if (allowed.length < commands.length) {
      logLines.push(['per-sender rate limit: commands dropped', { messageId: mail.id, from: sender, dropped: commands.slice(allowed.length).map((c) => c.name), limit }]);
    }
    const toList: Array<{ cmd: Command; body: string }> = [];
    const toSender: Array<{ cmd: Command; body: string }> = [];
    const queued: string[] = [];
    for (const cmd of allowed) {
      this.store.addRequest(sender, atIso, mail.id, cmd.name);
      switch (cmd.name) {
        case 'analyze':
          toList.push({ cmd, body: this.threadReport(thread, [], enriched) });
          break;
        case 'explain':
          toList.push({ cmd, body: explainObservation(this.store, cmd.arg!, this.config.showTargets) });
          break;
        case 'correlate':
          toList.push({ cmd, body: correlatePrefix(this.store, cmd.arg!) });
          break;
        case 'help':
          toSender.push({ cmd, body: HELP_TEXT });
          break;
        case 'subscribe':
          toSender.push({
            cmd,
            body: this.store.subscribe(sender, atIso)
              ? `${sender} now gets the daily digest directly. "#listwatch unsubscribe" stops it.`
              : `${sender} already gets the daily digest directly.`,
          });
          break;
        case 'unsubscribe':
          toSender.push({
            cmd,
            body: this.store.unsubscribe(sender) ? `${sender} no longer gets the daily digest directly.` : `${sender} was not subscribed to the digest.`,
          });
          break;
        case 'digest': {
          const rendered = this.renderDigestOf(day);
          if (!rendered) {
            toSender.push({ cmd, body: `Nothing to report for ${day} so far.` });
          } else {
            const digest = digestMail(rendered, { day, to: [sender] });
            const r = this.outbox.enqueue({ ...digest, cause: `cmd:${mail.id}:digest`, inReplyTo: mail.id, references: [...mail.references, mail.id] });
            if (r.queued) queued.push(r.messageId);
            logLines.push(['digest sent on request', { messageId: mail.id, to: sender, reply: r.messageId }]);
          }
          break;
        }
      }
    }
    const listRecipients = this.config.replyTo === 'list' ? [this.config.listAddress] : [sender];
    if (toList.length) {
      const budget = this.config.rateLimits.threadReplyBudget;
      if (this.config.replyTo === 'list' && this.store.threadState(thread).replies >= budget) {
        logLines.push(['thread reply budget spent; command not answered', { messageId: mail.id, thread, budget }]);
      } else {
        const body = toList.map((x) => x.body).join('\n\n');
        const out = composeReply(this.replyTarget(mail, sender), body, {
          cause: `cmd:${mail.id}:${toList.map((x) => x.cmd.name).join('+')}`,
          recipients: listRecipients,
          quotedCommands: toList.map((x) => x.cmd.line),
        });
        const r = this.outbox.enqueue(out);
        if (r.queued) {
          if (this.config.replyTo === 'list') this.store.countThreadReply(thread, false);
          queued.push(r.messageId);
        }
        logLines.push(['answer queued', { messageId: mail.id, commands: toList.map((x) => x.cmd.name), to: listRecipients, reply: r.messageId }]);
      }
    }
    if (toSender.length) {
      const out = composeReply(this.replyTarget(mail, sender), toSender.map((x) => x.body).join('\n\n'), {
        cause: `cmd:${mail.id}:private:${toSender.map((x) => x.cmd.name).join('+')}`,
        recipients: [sender],
        quotedCommands: toSender.map((x) => x.cmd.line),
      });
      const r = this.outbox.enqueue(out);
      if (r.queued) queued.push(r.messageId);
      logLines.push(['answer queued', { messageId: mail.id, commands: toSender.map((x) => x.cmd.name), to: [sender], reply: r.messageId }]);
    }
    return queued;
  }

  /** The DigestInput for one day, from the store (TLP:AMBER/RED posts left out). */
  digestInput(day: string, now: Date = this.now()): DigestInput {
    const dayPosts = this.store.postsOfDay(day);
    const excluded = new Set(dayPosts.filter((p) => p.tlp && EXCLUDED_TLP.has(p.tlp)).map((p) => p.post.id));
    const tlpOf = (postId: string): boolean => {
      if (excluded.has(postId)) return true;
      const row = this.store.postRow(postId);
      if (row?.tlp && EXCLUDED_TLP.has(row.tlp)) {
        excluded.add(postId);
        return true;
      }
      return false;
    };
    const dayFindings = this.store.findingsOfDay(day);
    const obsPost = this.store.postsOfObservations(dayFindings.flatMap((f) => f.finding.observations));
    const findings: DigestFinding[] = [];
    for (const f of dayFindings) {
      const kept = f.finding.observations.filter((id) => {
        const post = obsPost.get(id);
        return !post || !tlpOf(post);
      });
      if (kept.length === 0) continue;
      const corroborating = f.finding.corroborating.filter((c) => !tlpOf(c.post));
      findings.push({ finding: { ...f.finding, observations: kept, corroborating }, status: f.status, firstDay: f.firstDay });
    }
    const observations = this.store.observationsOfDay(day).filter((o) => !tlpOf(o.post));
    const postIds = new Set(dayPosts.filter((p) => !excluded.has(p.post.id)).map((p) => p.post.id));
    for (const id of obsPost.values()) if (!tlpOf(id)) postIds.add(id);
    const posts = this.store.postsByIds(postIds);
    const since = this.store.lastDigestAt() ?? hoursBefore(now, 24);
    return {
      day,
      timeZone: this.config.timeZone,
      findings,
      observations,
      posts,
      // questions asked since the last digest (each is shown once), still unanswered
      openQuestions: this.store.openQuestions(since).filter((q) => !tlpOf(q.post)),
      deliveryFailures: this.outbox.failuresSince(since),
      excludedPosts: [...excluded].sort(),
      showTargets: this.config.showTargets,
    };
  }

  /** The day's digest, rendered, or null when there is nothing to say. */
  renderDigestOf(day: string, at: Date = this.now()): RenderedDigest | null {
    return renderDigest(this.digestInput(day, at));
  }

  /**
   * The daily digest: to the list and to each subscriber, once per day (the cause is the day, so
   * a second run the same day queues nothing). `at` is the clock's time unless given (tests).
   */
  async runDigestWithLlm(at: Date = this.now()): Promise<{ day: string; queued: string[]; reason?: string }> {
    const extra: Pick<DigestInput, 'narratives' | 'llmFooter'> = {};
    if (this.llm?.active) {
      try {
        const input = this.digestInput(dayIn(at, this.config.timeZone), at);
        const result: AnalysisResult = {
          doc: { schema: SCHEMA, posts: input.posts, observations: input.observations, findings: input.findings.map((f) => f.finding), errors: [] },
          statements: [],
          questions: input.openQuestions,
        };
        extra.narratives = await this.llm.narrate(result, this.store.mailsOf(input.posts.map((p) => p.id)));
        const footer = this.llm.usageFooter();
        if (footer) extra.llmFooter = footer;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'LLM narratives for the digest failed; deterministic digest');
      }
    }
    return this.runDigest(at, extra);
  }

  runDigest(at: Date = this.now(), extra: Pick<DigestInput, 'narratives' | 'llmFooter'> = {}): { day: string; queued: string[]; reason?: string } {
    const day = dayIn(at, this.config.timeZone);
    const kill = this.killSwitch();
    if (kill) {
      this.log.warn({ day, killSwitch: kill }, 'kill switch on: no digest');
      return { day, queued: [], reason: 'kill switch' };
    }
    const rendered = renderDigest({ ...this.digestInput(day, at), ...extra });
    if (!rendered) {
      this.log.info({ day }, 'digest: nothing to say today; none sent');
      return { day, queued: [], reason: 'nothing to say' };
    }
    const queued = this.store.transaction(() => {
      const ids: string[] = [];
      // one message per recipient: a subscriber is not told who else subscribes
      for (const to of [this.config.listAddress, ...this.store.subscribers()]) {
        const r = this.outbox.enqueue(digestMail(rendered, { day, to: [to] }));
        if (r.queued) ids.push(r.messageId);
      }
      this.store.markDigest(day, at.toISOString(), rendered.document.findings.length);
      return ids;
    });
    this.log.info({ day, queued: queued.length, subscribers: this.store.subscribers().length }, 'digest queued');
    return { day, queued };
  }
}
