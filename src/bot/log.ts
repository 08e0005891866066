import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]{1,80}$/.test(v) ? v : JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v);
  const s = JSON.stringify(v);
  return s && s.length > 300 ? `${s.slice(0, 300)}…` : String(s);
}

/** One readable line per record: `12:00:01 INFO  analyzed a post  from=a@b observations=12`. */
export function terminalLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof rec.time === 'number' ? rec.time : Date.now()).toISOString().slice(11, 19);
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const fields = Object.entries(rec)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  return `${time} ${level} ${String(rec.msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/**
 * The bot's logger: readable lines on a terminal, JSON lines otherwise (journald, files), or
 * JSON when LISTWATCH_LOG_FORMAT=json.
 */
export function createLogger(level: string, out: NodeJS.WritableStream = process.stderr): Logger {
  const tty = (out as NodeJS.WriteStream).isTTY === true && process.env.LISTWATCH_LOG_FORMAT !== 'json';
  if (!tty) return pino({ level, base: undefined }, out as unknown as pino.DestinationStream);
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.write(terminalLine(chunk.toString('utf8')));
      cb();
    },
  });
  return pino({ level, base: undefined }, stream);
}
