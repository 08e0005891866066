import type { MailPost } from '../mail/types.js';

export const COMMAND_PREFIX = '#listwatch';
export const MAX_COMMANDS_PER_MAIL = 3;
const MAX_LINE = 1000;
const MAX_ARG = 200;
/** problems reported per mail (they go to the log; a post of a thousand bad lines is not a thousand) */
const MAX_PROBLEMS = 10;

export type CommandName = 'analyze' | 'explain' | 'correlate' | 'digest' | 'subscribe' | 'unsubscribe' | 'help';

const NEEDS_ARG: Record<CommandName, boolean> = {
  analyze: false,
  explain: true,
  correlate: true,
  digest: false,
  subscribe: false,
  unsubscribe: false,
  help: false,
};

export interface Command {
  name: CommandName;
  arg: string | null;
  /** the line(s) as written, for quoting in the reply */
  line: string;
}

export interface CommandProblem {
  line: string;
  problem: string;
}

/**
 * The help text. Every example in it is indented, so pasted or forwarded help text never starts a
 * line with the command prefix; the placeholder examples are also rejected by value.
 */
export const HELP_TEXT = [
  'listwatch reads every post of this list, pulls out Snort alerts, Argus flow records and',
  'tcpdump lines, classifies each flow and correlates what different organisations saw.',
  '',
  'Ask it by replying to a post with a line that starts with the command (at most 3 per mail,',
  'outside quoted text; only list members can ask):',
  '',
  '    #listwatch analyze                     the analysis of this thread',
  '    #listwatch explain <observation-id>    one observation: its record, class and why',
  '    #listwatch correlate <prefix>          what the history holds on an address or prefix,',
  '                                           e.g. 192.0.2.0/24',
  '    #listwatch digest                      today\'s digest, to you',
  '    #listwatch subscribe                   the daily digest straight to you',
  '    #listwatch unsubscribe                 stop that',
  '    #listwatch help                        this text',
  '',
  'The bot never answers mail from other robots, mail marked as bulk or auto-submitted, or',
  'itself. It sends at most one unasked answer per thread, only when a post adds something.',
].join('\n');

/** Argument values that appear in the help text: a line using them is a copy of the help. */
const HELP_EXAMPLE_ARGS = new Set(['<observation-id>', '<prefix>', 'observation-id', 'prefix', '192.0.2.0/24']);

function unquoteArg(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1).trim();
  return t;
}

/**
 * Commands in the author's own text: lines that start with `#listwatch` (outside quotations,
 * signatures and footers), at most three. A command whose argument was wrapped onto the next line
 * by a mail client takes it from there. Lines that copy the help text's examples do nothing.
 */
export function parseCommands(mail: Pick<MailPost, 'blocks' | 'text'>): { commands: Command[]; problems: CommandProblem[] } {
  const commands: Command[] = [];
  const problems: CommandProblem[] = [];
  const problem = (line: string, text: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, problem: text });
  };
  const blocks = mail.blocks.length ? mail.blocks : [{ kind: 'own' as const, lines: mail.text.split(/\r?\n/) }];
  for (const block of blocks) {
    if (block.kind !== 'own') continue;
    const lines = block.lines;
    for (let i = 0; i < lines.length && commands.length < MAX_COMMANDS_PER_MAIL; i++) {
      const line = lines[i]!;
      if (line.length > MAX_LINE || !line.startsWith(COMMAND_PREFIX)) continue;
      const rest = line.slice(COMMAND_PREFIX.length);
      if (rest !== '' && !/^[\s:]/.test(rest)) continue; // `#listwatchers` is not a command
      const words = rest.replace(/^:/, '').trim().split(/\s+/).filter(Boolean);
      const word = (words[0] ?? '').toLowerCase();
      if (!word) {
        problem(line, 'no command after #listwatch');
        continue;
      }
      if (!Object.hasOwn(NEEDS_ARG, word)) {
        problem(line, `unknown command "${word.slice(0, 40)}"`);
        continue;
      }
      const name = word as CommandName;
      let arg: string | null = words.length > 1 ? unquoteArg(words.slice(1).join(' ')) : null;
      let written = line;
      if (NEEDS_ARG[name] && !arg) {
        // wrapped: the argument went to the next non-empty line
        const next = lines[i + 1];
        if (next !== undefined && next.trim() && next.length <= MAX_ARG && !next.startsWith(COMMAND_PREFIX)) {
          arg = unquoteArg(next);
          written = `${line}\n${next}`;
          i++;
        }
      }
      if (NEEDS_ARG[name] && !arg) {
        problem(line, `${name} needs an argument`);
        continue;
      }
      if (arg) {
        if (!NEEDS_ARG[name]) arg = null;
        else arg = unquoteArg(arg.split(/\s+/)[0]!).slice(0, MAX_ARG);
      }
      if (arg && HELP_EXAMPLE_ARGS.has(arg.toLowerCase())) continue; // a copy of the help text
      commands.push({ name, arg, line: written });
    }
  }
  return { commands, problems };
}
