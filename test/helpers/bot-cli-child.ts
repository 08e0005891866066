// `listwatch start` as the CLI runs it (commander + registerBotCommands), for the SIGTERM test.
import { Command } from 'commander';
import { registerBotCommands } from '../../src/cli/bot-commands.js';

const program = new Command('listwatch');
registerBotCommands(program);
await program.parseAsync(['node', 'listwatch', ...process.argv.slice(2)]);
