// `npm run bench [-- --quick] [-- --only archive,paste,live,history]`: generates the inputs (seeded,
// under bench/out/), runs every figure in its own process under /usr/bin/time, prints one table and
// writes bench/results.json (bench/results-quick.json with --quick). Medians of several runs; nothing here is a test.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_MAX_TEXT_BYTES } from '../src/mail/parse.js';
import { writeArchive, pastePost, type ArchiveManifest } from './generate.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'bench/out');
const SEED = 20010906;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',')) : null;
const want = (f: string): boolean => !only || only.has(f);
/** `--archive N`: another archive size (the small one is N/10), e.g. to try a full run's code path quickly */
const archiveArg = args.indexOf('--archive');
const archiveSize = archiveArg >= 0 ? Number(args[archiveArg + 1]) : null;

const P = quick
  ? { archive: 10_000, archiveSmall: 2_000, runs: 1, pythonRuns: 1, pasteArgus: 100_000, pasteSnort: 20_000, pasteRuns: 1, live: 30, liveGapMs: 100, history: 50_000, historyPosts: 30, archiveLarge: 0 }
  : { archive: 100_000, archiveSmall: 10_000, runs: 3, pythonRuns: 3, pasteArgus: 100_000, pasteSnort: 20_000, pasteRuns: 3, live: 500, liveGapMs: 600, history: 1_000_000, historyPosts: 200, archiveLarge: 1_000_000 };

interface Timed {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  out: Record<string, unknown>;
}

/** Runs a command under /usr/bin/time; stdout goes to `stdoutFile` (or is parsed as the task's JSON line). */
async function timed(cmd: string, argv: string[], opts: { stdoutFile?: string } = {}): Promise<Timed> {
  const timeFile = join(OUT, `time-${process.pid}.txt`);
  const fullArgs = ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...argv];
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const { openSync, closeSync } = await import('node:fs');
  const fd = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : null;
  const child = spawn('/usr/bin/time', fullArgs, { cwd: ROOT, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => stdout.push(c));
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (fd !== null) closeSync(fd);
  const err = Buffer.concat(stderr).toString('utf8');
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${code}:\n${err.slice(-3000)}`);
  const [wall, user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(timeFile, { force: true });
  let out: Record<string, unknown> = {};
  const text = Buffer.concat(stdout).toString('utf8').trim();
  if (!opts.stdoutFile && text) out = JSON.parse(text.split('\n').pop()!) as Record<string, unknown>;
  return { wallS: wall!, cpuS: user! + sys!, maxRssMb: rss! / 1024, out };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function repeat(n: number, fn: (i: number) => Promise<Timed>): Promise<{ runs: Timed[]; wallS: number; cpuS: number; maxRssMb: number; out: Record<string, unknown> }> {
  const runs: Timed[] = [];
  for (let i = 0; i < n; i++) runs.push(await fn(i));
  return { runs, wallS: median(runs.map((r) => r.wallS)), cpuS: median(runs.map((r) => r.cpuS)), maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)), out: runs[0]!.out };
}

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

// ------------------------------------------------------------------ inputs

if (archiveSize) {
  P.archive = archiveSize;
  P.archiveSmall = Math.max(1, Math.round(archiveSize / 10));
  P.archiveLarge = quick ? 0 : archiveSize * 10;
}

const GENERATOR_HASH = createHash('sha1').update(readFileSync(join(ROOT, 'bench/generate.ts'))).digest('hex').slice(0, 12);

async function archive(posts: number): Promise<ArchiveManifest> {
  const path = join(OUT, `archive-${posts}.mbox`);
  const manifestPath = `${path}.json`;
  if (existsSync(path) && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as ArchiveManifest & { generator?: string };
    if (m.generator === GENERATOR_HASH && m.seed === SEED && statSync(path).size === m.bytes) return m;
  }
  log(`generating ${posts} posts → ${path}`);
  const m = await writeArchive(path, posts, SEED);
  writeFileSync(manifestPath, JSON.stringify({ ...m, generator: GENERATOR_HASH }));
  return m;
}

// ------------------------------------------------------------------ figures

// The measured tasks and the CLI run from their esbuild bundles (bin/bundle.js), built here first so
// no timed run pays for a build and the baselines carry no tsx start-up either.
const { ensureBundle } = (await import(pathToFileURL(join(ROOT, 'bin/bundle.js')).href)) as { ensureBundle: (name: string) => Promise<string> };
const TASKS = await ensureBundle('bench');
await ensureBundle('cli');

interface Row {
  figure: string;
  what: string;
  runs: number;
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  rate?: string;
  ratio?: string;
  note?: string;
}

/**
 * Counts the document's posts, observations (by source) and errors line by line: at 100,000 posts
 * the file is larger than a V8 string may be. It relies on the layout of `--format json`
 * (JSON.stringify(doc, null, 2)): top-level keys at 2 spaces, array elements at 4, their fields at 6.
 */
async function oursRecords(jsonFile: string): Promise<{ observations: number; argus: number; snort: number; posts: number; errors: number }> {
  const { createInterface } = await import('node:readline');
  const { createReadStream } = await import('node:fs');
  const counts = { observations: 0, argus: 0, snort: 0, posts: 0, errors: 0 };
  let section = '';
  for await (const line of createInterface({ input: createReadStream(jsonFile), crlfDelay: Infinity })) {
    const top = /^ {2}"(\w+)": /.exec(line);
    if (top) {
      section = top[1]!;
      continue;
    }
    if (line === '    {') {
      if (section === 'posts') counts.posts++;
      else if (section === 'observations') counts.observations++;
      else if (section === 'errors') counts.errors++;
    } else if (section === 'observations' && line.startsWith('      "source": ')) {
      const source = line.slice(17, -2);
      if (source === 'argus') counts.argus++;
      // a Snort fast line and a Suricata fast.log line are the same layout; the script cannot tell them apart
      else if (source === 'snort' || source === 'suricata') counts.snort++;
    }
  }
  return counts;
}

async function archiveFigures(rows: Row[], results: Record<string, unknown>): Promise<void> {
  const big = await archive(P.archive);
  const small = await archive(P.archiveSmall);
  const mb = big.bytes / 1e6;
  const rate = (s: number): string => `${Math.round(big.posts / s)} posts/s, ${(mb / s).toFixed(1)} MB/s`;
  const ours = (m: ArchiveManifest, runs: number) =>
    repeat(runs, (i) => {
      const file = i === 0 ? join(OUT, `ours-${m.posts}-${process.pid}.json`) : '/dev/null';
      return timed('node', ['bin/listwatch.js', 'analyze', '--format', 'json', m.path], { stdoutFile: file });
    });
  log(`archive: listwatch analyze on ${big.posts} posts (${mb.toFixed(0)} MB), ${P.runs} run(s)`);
  const o = await ours(big, P.runs);
  const counts = await oursRecords(join(OUT, `ours-${big.posts}-${process.pid}.json`));
  rmSync(join(OUT, `ours-${big.posts}-${process.pid}.json`), { force: true });
  // the same with parseMail + analyzePost on a worker thread (--jobs 2): not the default, see the README
  log(`archive: listwatch analyze --jobs 2 on ${big.posts} posts, ${P.runs} run(s)`);
  const oJobs2 = await repeat(P.runs, () => timed('node', ['bin/listwatch.js', 'analyze', '--format', 'json', '--jobs', '2', big.path], { stdoutFile: '/dev/null' }));
  const base: Record<string, Awaited<ReturnType<typeof repeat>>> = {};
  for (const task of ['read', 'split', 'split-buffer', 'mailparser', 'lean', 'postal-mime']) {
    log(`archive: ${task} alone`);
    base[task] = await repeat(P.runs, () => timed('node', [TASKS, task, big.path]));
  }
  // issue 5 §3: would parsing only headers + text (attachments streamed past) close the gap? once
  // each, full runs only (--quick keeps to the figures the issue asks for, to stay near a minute)
  for (const task of quick ? [] : ['mailparser-lean', 'mailparser-strip']) {
    log(`archive: ${task}`);
    base[task] = await repeat(1, () => timed('node', [TASKS, task, big.path]));
  }
  let mpTimes: Timed | null = null;
  let stages: Timed | null = null;
  if (!quick) {
    log('archive: mailparser time by messages with and without attachments');
    mpTimes = await timed('node', [TASKS, 'mailparser-times', small.path]);
    log(`archive: where listwatch's time goes, stage by stage (${small.posts} posts, in process)`);
    stages = await timed('node', [TASKS, 'stages', small.path]);
  }
  log('archive: python3 mailbox + email + re');
  const py = await repeat(P.pythonRuns, () => timed('python3', ['bench/python/extract.py', big.path]));
  log(`memory: listwatch analyze on ${small.posts} posts`);
  const oSmall = await ours(small, 1);
  const smallCounts = await oursRecords(join(OUT, `ours-${small.posts}-${process.pid}.json`));
  rmSync(join(OUT, `ours-${small.posts}-${process.pid}.json`), { force: true });
  // issue 5: the peak "must not grow with the archive's size": full runs also take one run at ten
  // times the archive (1,000,000 posts, 3.7 GB, kept in bench/out like the others)
  let large: { m: ArchiveManifest; t: Timed } | null = null;
  if (P.archiveLarge > 0) {
    const m = await archive(P.archiveLarge);
    log(`memory: listwatch analyze on ${m.posts} posts (${(m.bytes / 1e6).toFixed(0)} MB), 1 run`);
    large = { m, t: await timed('node', ['bin/listwatch.js', 'analyze', '--format', 'json', m.path], { stdoutFile: '/dev/null' }) };
  }

  const ratio = (r: { wallS: number; cpuS: number }): string => `${(r.wallS / o.wallS).toFixed(2)}× (cpu ${(r.cpuS / o.cpuS).toFixed(2)}×)`;
  rows.push({ figure: 'archive', what: `listwatch analyze --format json (${big.posts} posts)`, runs: P.runs, wallS: o.wallS, cpuS: o.cpuS, maxRssMb: o.maxRssMb, rate: rate(o.wallS), ratio: '1', note: `${counts.observations} observations (argus ${counts.argus}, snort ${counts.snort})` });
  const names: Record<string, string> = {
    read: 'read the file alone',
    split: 'split into messages alone (mbox-reader)',
    'split-buffer': "split into messages alone (listwatch's Buffer splitter, src/source/mbox.ts)",
    mailparser: 'split (Buffer splitter) + mailparser simpleParser alone',
    lean: "split + listwatch's MIME reading alone (src/mail/lean.ts, mailparser for what it hands over)",
    'postal-mime': 'split + postal-mime alone',
    'mailparser-lean': 'split + MailParser stream, attachments released unread',
    'mailparser-strip': 'split + drop non-text part bodies + simpleParser',
  };
  rows.push({ figure: 'archive', what: `listwatch analyze --format json --jobs 2 (one worker thread; ${big.posts} posts)`, runs: P.runs, wallS: oJobs2.wallS, cpuS: oJobs2.cpuS, maxRssMb: oJobs2.maxRssMb, rate: rate(oJobs2.wallS), ratio: ratio(oJobs2) });
  for (const [task, r] of Object.entries(base)) {
    rows.push({ figure: 'archive', what: names[task]!, runs: r.runs.length, wallS: r.wallS, cpuS: r.cpuS, maxRssMb: r.maxRssMb, rate: rate(r.wallS), ratio: ratio(r) });
  }
  rows.push({
    figure: 'archive',
    what: 'python3 mailbox + email + re',
    runs: P.pythonRuns,
    wallS: py.wallS,
    cpuS: py.cpuS,
    maxRssMb: py.maxRssMb,
    rate: rate(py.wallS),
    ratio: ratio(py),
    note: `argus ${py.out.argus as number}, snort ${py.out.snort as number}`,
  });
  rows.push({ figure: 'memory', what: `listwatch analyze (${small.posts} posts)`, runs: 1, wallS: oSmall.wallS, cpuS: oSmall.cpuS, maxRssMb: oSmall.maxRssMb, rate: `${Math.round(small.posts / oSmall.wallS)} posts/s`, note: `${smallCounts.observations} observations; ${big.posts} posts: ${o.maxRssMb.toFixed(0)} MB` });
  if (large) {
    const { m, t } = large;
    rows.push({ figure: 'memory', what: `listwatch analyze (${m.posts} posts, ${(m.bytes / 1e6).toFixed(0)} MB)`, runs: 1, wallS: t.wallS, cpuS: t.cpuS, maxRssMb: t.maxRssMb, rate: `${Math.round(m.posts / t.wallS)} posts/s`, note: `${small.posts} posts: ${oSmall.maxRssMb.toFixed(0)} MB; ${big.posts}: ${o.maxRssMb.toFixed(0)} MB` });
  }
  if (stages && mpTimes) {
  const st = stages.out as { cpuMs: Record<string, number>; observations: number };
  const stageTotal = Object.values(st.cpuMs).reduce((a, b) => a + b, 0);
  rows.push({
    figure: 'archive',
    what: `stages in process (${small.posts} posts)`,
    runs: 1,
    wallS: stages.wallS,
    cpuS: stages.cpuS,
    maxRssMb: stages.maxRssMb,
    note: `cpu: ${Object.entries(st.cpuMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s (${((v / stageTotal) * 100).toFixed(0)}%)`).join(', ')}`,
  });
  const mt = mpTimes.out as { withAttachments: number; bytesWithAttachments: number; msWithAttachments: number; msWithout: number };
  rows.push({
    figure: 'archive',
    what: `mailparser: its time on messages with attachments (${small.posts} posts)`,
    runs: 1,
    wallS: mpTimes.wallS,
    cpuS: mpTimes.cpuS,
    maxRssMb: mpTimes.maxRssMb,
    note: `${mt.withAttachments} messages with attachments, ${((mt.bytesWithAttachments / small.bytes) * 100).toFixed(0)}% of the bytes, ${((mt.msWithAttachments / (mt.msWithAttachments + mt.msWithout)) * 100).toFixed(0)}% of the parse time`,
  });
  }
  const mp = base.mailparser!;
  results.archive = {
    input: { big, small },
    ours: { ...o, counts },
    oursJobs2: oJobs2,
    baselines: base,
    mailparserByAttachments: mpTimes,
    stages,
    python: py,
    oursSmall: { ...oSmall, counts: smallCounts },
    targets: {
      vsMailparser: { want: '>= 0.70', got: mp.wallS / o.wallS, gotCpu: mp.cpuS / o.cpuS },
      vsPython: { want: '>= 3', got: py.wallS / o.wallS, gotCpu: py.cpuS / o.cpuS },
      peakRssMb: { want: '<= 256', got: o.maxRssMb },
      rssGrowth: { small: oSmall.maxRssMb, big: o.maxRssMb },
    },
    recordsAgree: { ours: { argus: counts.argus, snort: counts.snort }, python: { argus: py.out.argus, snort: py.out.snort }, generatedOwn: { argus: big.argus, snort: big.snort } },
  };
}

async function pasteFigures(rows: Row[], results: Record<string, unknown>): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const [kind, lines] of [['argus', P.pasteArgus], ['snort-full', P.pasteSnort]] as const) {
    const post = pastePost(kind, lines, SEED);
    const file = join(OUT, `paste-${kind}-${lines}.eml`);
    writeFileSync(file, post.raw);
    log(`paste: ${kind} × ${lines}`);
    const r = await repeat(P.pasteRuns, () => timed('node', [TASKS, 'paste', file, 'lifted']));
    const ms = median(r.runs.map((x) => x.out.totalMs as number));
    const textLines = r.out.lines as number;
    rows.push({
      figure: 'paste',
      what: `one post, ${lines} ${kind === 'argus' ? 'argus ra lines' : 'Snort full alerts'} (${textLines} lines), text cap lifted`,
      runs: P.pasteRuns,
      wallS: r.wallS,
      cpuS: r.cpuS,
      maxRssMb: r.maxRssMb,
      rate: `${(ms / 1000).toFixed(2)} s in process = ${((ms / textLines) * 100_000).toFixed(0)} ms per 100k lines`,
      note: `${r.out.observations as number} observations; parse ${(r.out.parseMs as number).toFixed(0)} ms, analyze ${(r.out.analyzeMs as number).toFixed(0)} ms, corpus steps + JSON written ${(r.out.finishMs as number).toFixed(0)} ms`,
    });
    const entry: Record<string, unknown> = { ...r, inProcessMs: ms, msPer100kLines: (ms / textLines) * 100_000, bytes: post.bytes };
    out[kind] = entry;
    if (quick) continue;
    // what the CLI and the bot do by default: the text is cut at DEFAULT_MAX_TEXT_BYTES
    const capped = await timed('node', [TASKS, 'paste', file, 'default']);
    const c = capped.out as { lines: number; observations: number; totalMs: number; warnings: string[] };
    rows.push({
      figure: 'paste',
      what: `  the same with the default text cap (${(DEFAULT_MAX_TEXT_BYTES / 2 ** 20).toFixed(0)} MB)`,
      runs: 1,
      wallS: capped.wallS,
      cpuS: capped.cpuS,
      maxRssMb: capped.maxRssMb,
      rate: `${(c.totalMs / 1000).toFixed(2)} s in process for ${c.lines} lines`,
      note: `${c.observations} observations; ${c.warnings.join('; ').slice(0, 120)}`,
    });
    entry.defaultCap = capped;
  }
  results.paste = out;
}

async function liveFigure(rows: Row[], results: Record<string, unknown>): Promise<void> {
  log(`live: ${P.live} posts over IMAP → SMTP`);
  const r = await timed('node', [TASKS, 'live', String(P.live), String(SEED), String(P.liveGapMs)]);
  const o = r.out as { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; answered: number; missed: number; segmentsP50Ms: Record<string, number> };
  const seg = o.segmentsP50Ms;
  rows.push({
    figure: 'live',
    what: `IMAP append → answer accepted by SMTP (${P.live} posts, #listwatch analyze)`,
    runs: 1,
    wallS: r.wallS,
    cpuS: r.cpuS,
    maxRssMb: r.maxRssMb,
    rate: `p50 ${o.p50Ms.toFixed(0)} ms, p95 ${o.p95Ms.toFixed(0)} ms, p99 ${o.p99Ms.toFixed(0)} ms`,
    note: `${o.answered} answered, ${o.missed} missed; max ${o.maxMs.toFixed(0)} ms; p50 of the parts: IMAP to handle ${seg.imap!.toFixed(0)} ms, handle ${seg.handle!.toFixed(0)} ms, outbox + SMTP ${seg.send!.toFixed(0)} ms`,
  });
  results.live = r;
}

async function historyFigure(rows: Row[], results: Record<string, unknown>): Promise<void> {
  log(`history: ${P.history} observations in the store, then ${P.historyPosts} more posts`);
  // per run, so two benches at once (several engineers share the machine) do not delete each other's store
  const db = join(OUT, `history-${process.pid}.db`);
  const r = await timed('node', [TASKS, 'history', String(P.history), String(P.historyPosts), String(SEED), db]);
  const o = r.out as {
    p50Ms: number;
    p95Ms: number;
    maxMs: number;
    cpuP50Ms: number;
    cpuP95Ms: number;
    mainCpuP50Ms: number;
    mainCpuP95Ms: number;
    fillMs: number;
    storedObservations: number;
    findings: number;
    newObservationsMedian: number;
  };
  rows.push({
    figure: 'history',
    what: `one more post with ${o.storedObservations} observations stored (${P.historyPosts} posts)`,
    runs: 1,
    wallS: r.wallS,
    cpuS: r.cpuS,
    maxRssMb: r.maxRssMb,
    rate: `p50 ${o.p50Ms.toFixed(1)} ms, p95 ${o.p95Ms.toFixed(1)} ms per post`,
    note:
      `CPU per post p50 ${o.cpuP50Ms.toFixed(1)} ms, p95 ${o.cpuP95Ms.toFixed(1)} ms (main thread on a CPU p50 ${o.mainCpuP50Ms.toFixed(1)}, p95 ${o.mainCpuP95Ms.toFixed(1)} ms); max ${o.maxMs.toFixed(0)} ms; ` +
      `fill ${(o.fillMs / 1000).toFixed(0)} s; ${o.findings} findings stored; median ${o.newObservationsMedian} observations per new post`,
  });
  results.history = r;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
}

// ------------------------------------------------------------------ machine

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let python = 'missing';
  let commit = 'unknown';
  try {
    python = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {}
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    python,
    commit,
    packages: Object.fromEntries(['mailparser', 'postal-mime', 'mbox-reader', 'better-sqlite3', 'hoodiecrow-imap', 'smtp-server', 'imapflow', 'nodemailer', 'tsx', 'esbuild'].map((p) => [p, pkgVersion(p)])),
  };
}

function table(rows: Row[]): string {
  const head = ['figure', 'what', 'runs', 'wall s', 'cpu s', 'peak RSS MB', 'rate', 'time vs ours', 'note'];
  const body = rows.map((r) => [r.figure, r.what, String(r.runs), r.wallS.toFixed(2), r.cpuS.toFixed(2), r.maxRssMb.toFixed(0), r.rate ?? '', r.ratio ?? '', r.note ?? '']);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.map(esc).join(' | ')} |`)].join('\n');
}

mkdirSync(OUT, { recursive: true });
const started = new Date();
const rows: Row[] = [];
const results: Record<string, unknown> = { mode: quick ? 'quick' : 'full', startedAt: started.toISOString(), machine: machine(), parameters: P, seed: SEED };
if (want('archive')) await archiveFigures(rows, results);
if (want('paste')) await pasteFigures(rows, results);
if (want('live')) await liveFigure(rows, results);
if (want('history')) await historyFigure(rows, results);
results.finishedAt = new Date().toISOString();
results.table = table(rows);
const m = results.machine as { cpu: string; cores: number; memoryGb: number; node: string; loadAverageAtStart: number[] };
process.stdout.write(`listwatch bench (${quick ? 'quick' : 'full'}) — ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, node ${m.node}, load ${m.loadAverageAtStart.join(' ')}\n`);
process.stdout.write(`${table(rows)}\n`);
process.stdout.write('"time vs ours": the baseline\'s wall time divided by ours (below 1: it is faster than listwatch); cpu = user+sys.\n');
// a quick run never overwrites the full run's figures
const resultsFile = only || archiveSize ? join(OUT, 'results-partial.json') : join(ROOT, quick ? 'bench/results-quick.json' : 'bench/results.json');
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`wrote ${resultsFile}\n`);
