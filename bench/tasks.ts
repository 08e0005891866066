// One measured task per process, so each has its own peak RSS. bench/run.ts starts these under
// /usr/bin/time; each prints one JSON line (its counts and in-process timings) on stdout.
//   node --import tsx bench/tasks.ts read|split|mailparser|postal-mime ARCHIVE
//   node --import tsx bench/tasks.ts paste POST_FILE
//   node --import tsx bench/tasks.ts live POSTS SEED MAX_GAP_MS
//   node --import tsx bench/tasks.ts history OBSERVATIONS NEW_POSTS SEED DB [reuse]
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mboxReader } from 'mbox-reader';
import { MailParser, simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';

type Out = Record<string, unknown>;

function done(out: Out): void {
  process.stdout.write(`${JSON.stringify({ ...out, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

/** The file alone: the floor of I/O. */
async function readOnly(path: string): Promise<Out> {
  let bytes = 0;
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { bytes, lines };
}

/**
 * Messages out of the mbox with listwatch's own Buffer splitter (src/source/mbox.ts, what `analyze`
 * uses), for every "split + parser" baseline: so a baseline and listwatch pay the same split, and
 * the ratio compares parsing (and analysing) alone.
 */
async function* messages(path: string): AsyncGenerator<Buffer> {
  const { splitMbox } = await import('../src/source/mbox.js');
  for await (const m of splitMbox(createReadStream(path) as AsyncIterable<Buffer>, 25 * 1024 * 1024)) if (m.content) yield m.content;
}

/** Messages out of the mbox with mbox-reader (what src/source used before its Buffer splitter), nothing else. */
async function splitOnly(path: string): Promise<Out> {
  let n = 0;
  let bytes = 0;
  for await (const m of mboxReader(createReadStream(path)) as AsyncIterable<{ content: Buffer }>) {
    n++;
    bytes += m.content.length;
  }
  return { messages: n, bytes };
}

/** mailparser's simpleParser over every message, with the options src/mail/parse.ts uses. */
async function mailparserOnly(path: string): Promise<Out> {
  let n = 0;
  let textChars = 0;
  for await (const m of messages(path)) {
    const parsed = await simpleParser(m, PARSER_OPTIONS);
    n++;
    textChars += parsed.text?.length ?? 0;
  }
  return { messages: n, textChars };
}

const PARSER_OPTIONS = { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, keepCidLinks: true, maxHtmlLengthToParse: 8 * 1024 * 1024 };

/** simpleParser per message, its time split by whether the message has an attachment. */
async function mailparserSplitTimes(path: string): Promise<Out> {
  let n = 0;
  let withAtt = 0;
  let msWith = 0;
  let msWithout = 0;
  let bytesWith = 0;
  for await (const m of messages(path)) {
    const t0 = performance.now();
    const parsed = await simpleParser(m, PARSER_OPTIONS);
    const ms = performance.now() - t0;
    n++;
    if (parsed.attachments.length) {
      withAtt++;
      msWith += ms;
      bytesWith += m.length;
    } else msWithout += ms;
  }
  return { messages: n, withAttachments: withAtt, bytesWithAttachments: bytesWith, msWithAttachments: msWith, msWithout };
}

/** mailparser's streaming MailParser: headers and text kept, every attachment released unread. */
async function mailparserLean(path: string): Promise<Out> {
  let n = 0;
  let textChars = 0;
  for await (const m of messages(path)) {
    textChars += await new Promise<number>((resolve, reject) => {
      const parser = new MailParser(PARSER_OPTIONS);
      let chars = 0;
      parser.on('data', (d: { type: string; text?: string; release?: () => void }) => {
        if (d.type === 'attachment') d.release!();
        else chars += d.text?.length ?? 0;
      });
      parser.on('end', () => resolve(chars));
      parser.on('error', reject);
      parser.end(m);
    });
    n++;
  }
  return { messages: n, textChars };
}

/**
 * A line pre-pass that drops the bodies of MIME parts that are not text (base64 attachments),
 * keeping every header and boundary, then simpleParser over what is left: attachments streamed
 * past without decoding.
 */
export function dropNonTextBodies(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const out: string[] = [];
  const boundaries: string[] = [];
  let inHeaders = true;
  let skipping = false;
  let ct = '';
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl);
    pos = nl + 1;
    if (inHeaders) {
      out.push(line);
      if (line === '' || line === '\r') {
        inHeaders = false;
        const lower = ct.toLowerCase();
        const b = /boundary="?([^";\r]+)"?/i.exec(ct);
        if (lower.startsWith('multipart/') && b) boundaries.push(b[1]!);
        skipping = lower !== '' && !lower.startsWith('text/') && !lower.startsWith('multipart/') && !lower.startsWith('message/');
        ct = '';
      } else if (/^content-type:/i.test(line)) ct = line.slice(13).trim();
      else if ((line.startsWith(' ') || line.startsWith('\t')) && ct) ct += line;
      continue;
    }
    if (line.startsWith('--') && boundaries.some((b) => line.startsWith(`--${b}`))) {
      out.push(line);
      skipping = false;
      if (!line.trimEnd().endsWith('--')) inHeaders = true;
      continue;
    }
    if (!skipping) out.push(line);
  }
  return Buffer.from(out.join('\n'), 'latin1');
}

async function mailparserStrip(path: string): Promise<Out> {
  let n = 0;
  let textChars = 0;
  for await (const m of messages(path)) {
    const parsed = await simpleParser(dropNonTextBodies(m), PARSER_OPTIONS);
    n++;
    textChars += parsed.text?.length ?? 0;
  }
  return { messages: n, textChars };
}

async function postalMimeOnly(path: string): Promise<Out> {
  let n = 0;
  let textChars = 0;
  for await (const m of messages(path)) {
    const parsed = await PostalMime.parse(m);
    n++;
    textChars += parsed.text?.length ?? 0;
  }
  return { messages: n, textChars };
}

/**
 * The CLI's pipeline (src/analyze/run.ts) with a clock around each stage, for the README's
 * breakdown. Process CPU time (user+system, all threads) per stage, so other load on the machine
 * does not move the shares.
 */
/** Messages out of the mbox with src/source/mbox.ts (the Buffer splitter readInputs uses), nothing else: compare with `split`. */
async function splitBuffer(path: string): Promise<Out> {
  const { splitMbox } = await import('../src/source/mbox.js');
  let n = 0;
  let bytes = 0;
  for await (const m of splitMbox(createReadStream(path) as AsyncIterable<Buffer>, 25 * 1024 * 1024)) {
    n++;
    bytes += m.content?.length ?? 0;
  }
  return { messages: n, bytes };
}

/**
 * Split + the lean MIME reader of src/mail/lean.ts (what parseMail uses first), with simpleParser
 * for the messages it leaves to mailparser, as parseMail does: compare with `mailparser`.
 */
async function leanReader(path: string): Promise<Out> {
  const { parseLean } = await import('../src/mail/lean.js');
  let n = 0;
  let lean = 0;
  let textChars = 0;
  for await (const m of messages(path)) {
    const nl = m.indexOf(10);
    const raw = m.subarray(0, 5).toString('latin1') === 'From ' && nl >= 0 ? m.subarray(nl + 1) : m;
    const parts = parseLean(raw);
    n++;
    if (parts) {
      lean++;
      textChars += parts.text?.length ?? 0;
    } else {
      const parsed = await simpleParser(raw, PARSER_OPTIONS);
      textChars += parsed.text?.length ?? 0;
    }
  }
  return { messages: n, lean, textChars };
}

async function stages(path: string): Promise<Out> {
  const { readInputs } = await import('../src/source/index.js');
  const { parseMail } = await import('../src/mail/parse.js');
  const { analyzePost } = await import('../src/analyze/post.js');
  const { SpillCorpus } = await import('../src/analyze/spill.js');
  const { Writable } = await import('node:stream');
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // the path `listwatch analyze --format json` takes: the spilling corpus, whose corpus-wide steps
  // run while the document is written, so they are one figure here
  const ms = { read: 0, parseMail: 0, analyzePost: 0, corpusAdd: 0, finishAndJson: 0 };
  const corpus = new SpillCorpus();
  let n = 0;
  let t = cpuMs();
  for await (const item of readInputs([path])) {
    const t1 = cpuMs();
    ms.read += t1 - t;
    if (item.kind === 'message') {
      const mail = await parseMail(item.raw, item.input);
      const t2 = cpuMs();
      const pa = analyzePost(mail, mail.id);
      const t3 = cpuMs();
      corpus.add(pa);
      ms.parseMail += t2 - t1;
      ms.analyzePost += t3 - t2;
      ms.corpusAdd += cpuMs() - t3;
      n++;
    }
    t = cpuMs();
  }
  // the peak RSS so far and the heap in use after each stage: which stage makes the peak
  const mb = (kb: number): number => Math.round(kb / 1024);
  const memory: Record<string, { maxRssMb: number; heapUsedMb: number }> = {};
  const mark = (stage: string): void => {
    memory[stage] = { maxRssMb: mb(process.resourceUsage().maxRSS), heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) };
  };
  mark('afterReadParseAnalyze');
  const observations = corpus.observationCount;
  const t4 = cpuMs();
  let bytes = 0;
  await corpus.writeJson(new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } }));
  ms.finishAndJson = cpuMs() - t4;
  mark('afterJson');
  return { messages: n, observations, jsonBytes: bytes, cpuMs: ms, memory };
}

/**
 * One big post the way `listwatch analyze --format json` takes it: parseMail, analyzePost, then the
 * spilling corpus writes the whole document (to a counting sink), timed inside the process.
 */
async function paste(file: string, cap: string | undefined): Promise<Out> {
  const { parseMail } = await import('../src/mail/parse.js');
  const { analyzePost } = await import('../src/analyze/post.js');
  const { SpillCorpus } = await import('../src/analyze/spill.js');
  const { createWriteStream } = await import('node:fs');
  const raw = readFileSync(file);
  // the document goes to a file, as the CLI's would; it is counted after the clock stops
  const dir = mkdtempSync(join(tmpdir(), 'listwatch-bench-paste-'));
  const docFile = join(dir, 'doc.json');
  const sink = createWriteStream(docFile);
  const t0 = performance.now();
  // 'default': the production cap (DEFAULT_MAX_TEXT_BYTES, the rest is cut with a warning); 'lifted': no cap
  const mail = await parseMail(raw, file, cap === 'default' ? {} : { maxTextBytes: 64 * 1024 * 1024, timeBudgetMs: 120_000 });
  const t1 = performance.now();
  const pa = analyzePost(mail, mail.id);
  const t2 = performance.now();
  const corpus = new SpillCorpus();
  corpus.add(pa);
  await corpus.writeJson(sink);
  await new Promise<void>((resolve) => sink.end(() => resolve()));
  const t3 = performance.now();
  // counted by layout (JSON.stringify(doc, null, 2)): elements open at 4 spaces, their fields at 6
  const bySource: Record<string, number> = {};
  let section = '';
  let observations = 0;
  let findings = 0;
  for (const line of readFileSync(docFile, 'utf8').split('\n')) {
    if (line.startsWith('  "')) section = line.slice(3, line.indexOf('"', 3));
    else if (line === '    {') {
      if (section === 'observations') observations++;
      else if (section === 'findings') findings++;
    } else if (section === 'observations' && line.startsWith('      "source": "')) {
      const source = line.slice(17, -2);
      bySource[source] = (bySource[source] ?? 0) + 1;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    lines: mail.text.split('\n').length,
    observations,
    bySource,
    findings,
    warnings: mail.warnings,
    parseMs: t1 - t0,
    analyzeMs: t2 - t1,
    // corpus-wide steps and the JSON document written out
    finishMs: t3 - t2,
    totalMs: t3 - t0,
  };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * The real bot (startBot) against hoodiecrow in process and an SMTP sink: each post carries
 * `#listwatch analyze`; latency is from the IMAP append to the end of the answer's SMTP DATA.
 * After each answer it waits a seeded 0..maxGapMs ms, so posts find the client both idling and
 * still busy (imapflow goes back to IDLE 500 ms after its last command).
 */
async function live(count: number, seed: number, maxGapMs: number): Promise<Out> {
  const { startImapServer } = await import('../test/helpers/imap-server.js');
  const { startSmtpSink } = await import('../test/helpers/smtp-sink.js');
  const { loadConfig } = await import('../src/config/load.js');
  const { startBot } = await import('../src/bot/run.js');
  const { ImapWatcher } = await import('../src/source/imap.js');
  const { PostFactory, Rng } = await import('./generate.js');
  const pino = (await import('pino')).default;

  const srv = await startImapServer();
  const sink = await startSmtpSink();
  const acceptedAt = new Map<string, number>();
  const waiting: { id: string | null; resolve: () => void } = { id: null, resolve: () => undefined };
  sink.setResponder((mail) => {
    const m = /^In-Reply-To:[ \t]*<([^>\r\n]+)>/im.exec(mail.raw.toString('latin1'));
    if (m) {
      acceptedAt.set(m[1]!, performance.now());
      if (waiting.id === m[1]) waiting.resolve();
    }
    return null;
  });
  const cwd = mkdtempSync(join(tmpdir(), 'listwatch-bench-live-'));
  const factory = new PostFactory(seed, undefined, 'live');
  const senders = ['sigrid@cert.fjordnet.example', 'aroha@noc.harbour-uni.example', 'tw@sec.northwind.example', 'mdubois@csirt.lakeside.example', 'olli@abuse.tundra-isp.example', 'praman@ops.meridian.example', 'jortega@security.delta-college.example', 'hberg@net.canyon.example', 'ksato@ir.coastal.example', 'radeyemi@cc.prairie-uni.example', 'lmeier@noc.alpine.example', 'fwalsh@cert.isle.example'];
  const big = String(count * 10 + 100);
  const loaded = loadConfig({
    cwd,
    env: {
      LISTWATCH_IMAP_URL: `imap://${srv.user}@127.0.0.1:${srv.port}/INBOX`,
      LISTWATCH_IMAP_PASSWORD: srv.password,
      LISTWATCH_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      LISTWATCH_ADDRESS: 'listwatch@lists.example',
      LISTWATCH_LIST_ADDRESS: 'incidents@lists.example',
      LISTWATCH_LIST_ID: 'incidents.lists.example',
      LISTWATCH_ALLOWLIST: senders.join(','),
      LISTWATCH_DB: join(cwd, 'state.db'),
      LISTWATCH_KILL_SWITCH_FILE: join(cwd, 'STOP'),
      // the bench asks for one answer per post; the production limits would (rightly) stop it
      LISTWATCH_RATE_PER_SENDER: big,
      LISTWATCH_RATE_GLOBAL: big,
      LISTWATCH_RATE_PER_RECIPIENT: big,
    },
  });
  const rt = await startBot(loaded, { cwd, log: pino({ level: 'silent' }), schedule: false });
  const until = Date.now() + 10_000;
  while (!(rt.source as InstanceType<typeof ImapWatcher>).connected) {
    if (Date.now() > until) throw new Error('the bot did not connect to IMAP');
    await new Promise((r) => setTimeout(r, 10));
  }
  // where the time goes: APPEND → Bot.handle starts (IMAP), handle (parse, analyse, store), handle
  // returns → SMTP DATA ends (outbox flush and SMTP); handle is wrapped on the instance, unchanged
  const handleSpans = new Map<string, { start: number; end: number }>();
  const bot = rt.bot;
  const realHandle = bot.handle.bind(bot);
  bot.handle = async (raw: Buffer, input: string) => {
    const start = performance.now();
    const r = await realHandle(raw, input);
    if (r.messageId) handleSpans.set(r.messageId, { start, end: performance.now() });
    return r;
  };
  const rng = new Rng(seed ^ 0x5eed);
  const latencies: number[] = [];
  const segments = { imap: [] as number[], handle: [] as number[], send: [] as number[] };
  let missed = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, rng.int(0, maxGapMs)));
    // each post opens its own thread (a unique subject: threads are also joined by subject)
    const post = factory.next({ extraBody: ['#listwatch analyze'], forceRecords: true, noReply: true, subject: `Live bench post ${i + 1}` });
    const answered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      waiting.id = post.id;
      waiting.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const sent = performance.now();
    srv.deliver(post.raw.replace(/\n/g, '\r\n'));
    await answered;
    waiting.id = null;
    const at = acceptedAt.get(post.id);
    const span = handleSpans.get(post.id);
    if (at === undefined) missed++;
    else {
      latencies.push(at - sent);
      if (span) {
        segments.imap.push(span.start - sent);
        segments.handle.push(span.end - span.start);
        segments.send.push(at - span.end);
      }
    }
  }
  const wallMs = performance.now() - t0;
  await rt.stop();
  await sink.close();
  await srv.stop();
  rmSync(cwd, { recursive: true, force: true });
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    posts: count,
    answered: latencies.length,
    missed,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
    wallMs,
    segmentsP50Ms: Object.fromEntries(Object.entries(segments).map(([k, v]) => [k, quantile([...v].sort((a, b) => a - b), 0.5)])),
    segmentsP99Ms: Object.fromEntries(Object.entries(segments).map(([k, v]) => [k, quantile([...v].sort((a, b) => a - b), 0.99)])),
  };
}

/**
 * A store holding `target` observations, filled through Store.savePosts (one transaction per call) from
 * analysed generated posts (cloned with fresh ids and shifted actors once the templates run out),
 * then the time Bot.handle takes for each of `newPosts` more posts (parse, analyse, store,
 * recompute the findings of the group keys they touch).
 */
async function history(target: number, newPosts: number, seed: number, dbPath: string, reuse = false): Promise<Out> {
  const { parseMail } = await import('../src/mail/parse.js');
  const { analyzePost } = await import('../src/analyze/post.js');
  const { groupKey } = await import('../src/correlate/correlate.js');
  const { Store } = await import('../src/store/store.js');
  const { Outbox, directoryTransport } = await import('../src/deliver/outbox.js');
  const { Bot } = await import('../src/bot/bot.js');
  const { configSchema } = await import('../src/config/schema.js');
  const { PostFactory } = await import('./generate.js');
  const pino = (await import('pino')).default;
  type PA = ReturnType<typeof analyzePost>;

  // 'reuse' (for trials on a copy of a filled store): an existing DB is kept and not filled again; the
  // templates are still made, so the new posts are the same as after a fill
  const keep = reuse && existsSync(dbPath);
  if (!keep) {
    rmSync(dbPath, { force: true });
    rmSync(`${dbPath}-wal`, { force: true });
    rmSync(`${dbPath}-shm`, { force: true });
  }
  // as the running bot opens it (src/bot/run.ts): checkpoints on a worker thread
  const store = new Store(dbPath, { backgroundCheckpoint: true });
  const factory = new PostFactory(seed, undefined, 'hist');
  const templates: PA[] = [];
  let templateObs = 0;
  while (templateObs < Math.min(target, 20_000)) {
    const p = factory.next({ forceRecords: true });
    const mail = await parseMail(Buffer.from(p.raw), 'history');
    const pa = analyzePost(mail, mail.id);
    if (pa.observations.length === 0) continue;
    templates.push(pa);
    templateObs += pa.observations.length;
  }
  const tFill = performance.now();
  let stored = keep ? store.counts().observations : 0;
  let copy = 0;
  const day0 = Date.UTC(2001, 8, 1);
  while (stored < target) {
    // one sweep of the templates (~20,000 observations) per Store.savePosts call, the store's bulk import
    const batch: Array<{ analysis: PA; day: string; at: string }> = [];
    for (const t of templates) {
      if (stored >= target) break;
      const suffix = copy === 0 ? '' : `~${copy}`;
      const postId = `${t.post.id}${suffix}`;
      const shift = (ip: string | null): string | null => {
        if (!ip || copy === 0) return ip;
        const o = ip.split('.');
        if (o.length !== 4) return ip;
        o[2] = String((Number(o[2]) + copy) % 256);
        return o.join('.');
      };
      const observations = t.observations.slice(0, target - stored).map((o) => {
        const src = shift(o.src);
        const dst = shift(o.dst);
        return { ...o, id: `${o.id}${suffix}`, post: postId, src, dst, actor: o.actor === o.src ? src : o.actor === o.dst ? dst : shift(o.actor), target: o.target === o.dst ? dst : o.target === o.src ? src : shift(o.target) };
      });
      const day = new Date(day0 + (copy % 365) * 86_400_000).toISOString().slice(0, 10);
      const pa: PA = { ...t, post: { ...t.post, id: postId, thread: postId, observations: observations.map((o) => o.id) }, observations, statements: t.statements.map((s) => ({ ...s, post: postId })), questions: [] };
      batch.push({ analysis: pa, day, at: `${day}T12:00:00Z` });
      stored += observations.length;
    }
    store.savePosts(batch, groupKey);
    copy++;
  }
  const fillMs = performance.now() - tFill;

  const cwd = mkdtempSync(join(tmpdir(), 'listwatch-bench-hist-'));
  const config = configSchema.parse({ db: dbPath, killSwitchFile: join(cwd, 'STOP'), autoReply: false, logLevel: 'silent' });
  const log = pino({ level: 'silent' });
  const outbox = new Outbox(store.db, directoryTransport(join(cwd, 'outbox')), {
    botAddress: config.address,
    xLoopSecret: store.secret('x-loop-secret'),
    killSwitchFile: config.killSwitchFile,
    killSwitchEnv: config.killSwitchEnv,
    perRecipientPerHour: 1000,
    globalPerHour: 1000,
    log,
  });
  // the templates and the fill's garbage are let go and collected before the timed posts: left to V8, a
  // major collection of the bench's own set-up (~30-40 ms at 50,000 stored) lands in whichever post it falls on
  templates.length = 0;
  try {
    (await import('node:v8')).setFlagsFromString('--expose-gc');
    ((await import('node:vm')).runInNewContext('gc') as () => void)();
  } catch {
    // no gc to call: measured as it comes
  }
  // as the bot does when it starts (src/bot/run.ts): the in-memory tables (duplicate keys, join ends)
  // are read before the first post, not inside it; and the fill's or a migration's WAL is copied back
  // now, not by the checkpointer during the timed posts
  store.readDuplicateKeys();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const bot = new Bot({ config, store, outbox, log });
  const times: number[] = [];
  // CPU of the process (all threads) during each post: on a shared, loaded machine the wall time also holds the wait for a core
  const cpuTimes: number[] = [];
  // the main thread's own time on a CPU (Linux schedstat): the wall time the post would take on an idle
  // machine; on a shared one the wall also holds the wait for a core, and the process CPU the other threads'
  const schedstat = `/proc/self/task/${process.pid}/schedstat`;
  const onCpuNs = (): number | null => {
    try {
      return Number(readFileSync(schedstat, 'utf8').split(' ')[0]);
    } catch {
      return null;
    }
  };
  const mainCpuTimes: number[] = [];
  const obsCounts: number[] = [];
  for (let i = 0; i < newPosts; i++) {
    const p = factory.next({ forceRecords: true });
    const c0 = process.cpuUsage();
    const s0 = onCpuNs();
    const t0 = performance.now();
    const r = await bot.handle(Buffer.from(p.raw), `new#${i}`);
    times.push(performance.now() - t0);
    const s1 = onCpuNs();
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
    if (s0 !== null && s1 !== null) mainCpuTimes.push((s1 - s0) / 1e6);
    obsCounts.push(r.observations ?? 0);
    if (r.outcome !== 'analyzed') throw new Error(`post ${i}: ${r.outcome} ${r.reason ?? ''}`);
  }
  const sortedNum = (xs: number[]) => [...xs].sort((x, y) => x - y);
  const counts = store.counts();
  store.close();
  rmSync(cwd, { recursive: true, force: true });
  const sorted = [...times].sort((a, b) => a - b);
  return {
    storedObservations: counts.observations,
    storedPosts: counts.posts,
    findings: counts.findings,
    fillMs,
    newPosts,
    newObservationsMedian: [...obsCounts].sort((a, b) => a - b)[Math.floor(obsCounts.length / 2)],
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    maxMs: sorted[sorted.length - 1],
    cpuP50Ms: quantile([...cpuTimes].sort((x, y) => x - y), 0.5),
    cpuP95Ms: quantile([...cpuTimes].sort((x, y) => x - y), 0.95),
    cpuMaxMs: Math.max(...cpuTimes),
    mainCpuP50Ms: quantile(sortedNum(mainCpuTimes), 0.5),
    mainCpuP95Ms: quantile(sortedNum(mainCpuTimes), 0.95),
    // each new post: its observations, wall, process CPU and main-thread CPU ms (which posts make the tail)
    perPost: obsCounts.map((n, i) => [n, Math.round(times[i]! * 10) / 10, Math.round(cpuTimes[i]! * 10) / 10, Math.round((mainCpuTimes[i] ?? NaN) * 10) / 10]),
  };
}

const [mode, a, b, c, d, e] = process.argv.slice(2);
switch (mode) {
  case 'read':
    done(await readOnly(a!));
    break;
  case 'split':
    done(await splitOnly(a!));
    break;
  case 'mailparser':
    done(await mailparserOnly(a!));
    break;
  case 'mailparser-times':
    done(await mailparserSplitTimes(a!));
    break;
  case 'mailparser-lean':
    done(await mailparserLean(a!));
    break;
  case 'mailparser-strip':
    done(await mailparserStrip(a!));
    break;
  case 'split-buffer':
    done(await splitBuffer(a!));
    break;
  case 'lean':
    done(await leanReader(a!));
    break;
  case 'postal-mime':
    done(await postalMimeOnly(a!));
    break;
  case 'stages':
    done(await stages(a!));
    break;
  case 'paste':
    done(await paste(a!, b));
    break;
  case 'live':
    done(await live(Number(a), Number(b), Number(c ?? 600)));
    break;
  case 'history':
    done(await history(Number(a), Number(b), Number(c), d!, e === 'reuse'));
    break;
  default:
    process.stderr.write(`unknown task ${mode}\n`);
    process.exit(2);
}
