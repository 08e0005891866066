import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze-command.js';
import { registerBotCommands } from './bot-commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('listwatch')
    .description('Watches an incident-handling mailing list, pulls Snort/Argus/tcpdump records out of the posts, classifies and correlates them, and answers.')
    .version(version());
  program.addCommand(analyzeCommand());
  registerBotCommands(program);
  return program;
}

/** Exit status: 0 success, 1 an input could not be read, 2 bad usage. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  for (const cmd of [program, ...program.commands]) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    throw err;
  }
}
