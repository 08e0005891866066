import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';

// The bot's modules (imapflow, nodemailer, node-cron, the store, the LLM layer) are imported when a
// bot command runs, so `analyze` does not load them (bench/README.md: base memory of the CLI).

async function load(opts: { config?: string }): Promise<LoadedConfig | null> {
  const { ConfigError, loadConfig } = await import('../config/load.js');
  try {
    return loadConfig(opts.config ? { configFile: opts.config } : {});
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return null;
    }
    throw err;
  }
}

async function watchForever(loaded: LoadedConfig): Promise<void> {
  const { startBot } = await import('../bot/run.js');
  const runtime = await startBot(loaded);
  runtime.log.info({ from: loaded.sources }, 'configuration');
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      runtime.log.info({ signal }, 'signal received');
      runtime.stop().then(resolve, (err: Error) => {
        runtime.log.error({ err: err.message }, 'stop failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** Adds `start` and `watch [--once]` to the program. */
export function registerBotCommands(program: Command): void {
  program
    .command('start')
    .description(
      'Run the bot: watch the list (the embedded Maildir ./var/list by default, or IMAP), answer commands in the thread, send the daily digest. Stops cleanly on SIGTERM.',
    )
    .option('-c, --config <file>', 'config file (default: ./listwatch.config.json if present; env vars LISTWATCH_* override it)')
    .action(async (opts: { config?: string }) => {
      const loaded = await load(opts);
      if (loaded) await watchForever(loaded);
    });
  program
    .command('watch')
    .description('Watch the list like `start`; with --once, handle what is there, send what it causes, and exit.')
    .option('-c, --config <file>', 'config file (default: ./listwatch.config.json if present)')
    .option('--once', 'handle the messages present now, flush the outbox, exit')
    .action(async (opts: { config?: string; once?: boolean }) => {
      const loaded = await load(opts);
      if (!loaded) return;
      if (opts.once) {
        try {
          const { runOnce } = await import('../bot/run.js');
          const r = await runOnce(loaded);
          if (r.failed > 0) process.exitCode = 1;
        } catch (err) {
          // e.g. the IMAP server refused or is unreachable: one clear line, exit status 1
          process.stderr.write(`listwatch: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exitCode = 1;
        }
      } else {
        await watchForever(loaded);
      }
    });
}
