// A private Dovecot 2.3 instance on loopback for the IMAP tests (recipe: ecosystem.md §2).
// `dovecot -F` in its own process group; stop = SIGTERM to the group (9 ms), which is also how
// the tests "kill the server mid-IDLE". Mail is delivered with `doveadm save`.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DovecotServer {
  port: number;
  user: string;
  password: string;
  dir: string;
  readonly running: boolean;
  deliver(raw: string | Buffer): void;
  messageCount(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops the server and removes its files */
  destroy(): Promise<void>;
}

/** Whether the dovecot binaries are on this machine. */
export function dovecotAvailable(): boolean {
  try {
    execFileSync('dovecot', ['--version'], { stdio: 'ignore' });
    execFileSync('sh', ['-c', 'command -v doveadm'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Dovecot tests skip on a developer machine without Dovecot, but must run in CI: there a missing
 * Dovecot is a failure, not a skip.
 */
export function requireDovecotInCi(): boolean {
  const ok = dovecotAvailable();
  if (!ok && process.env.CI) throw new Error('Dovecot is required in CI (apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd) but `dovecot`/`doveadm` are not on PATH');
  return ok;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`dovecot did not listen on ${port} within ${timeoutMs} ms`);
}

export async function startDovecot(): Promise<DovecotServer> {
  const pool = Number(process.env.VITEST_POOL_ID ?? '0') || 0;
  let port = 14143 + pool * 7 + Math.floor(Math.random() * 500) * 20;
  for (let i = 0; i < 20 && !(await portFree(port)); i++) port += 1;
  const dir = mkdtempSync(join(tmpdir(), 'listwatch-dovecot-'));
  chmodSync(dir, 0o755); // auth runs as `dovecot`, mail as `nobody`: a 0700 dir fails every login
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d), { recursive: true });
  chownSync(join(dir, 'mail'), 65534, 65534);
  const user = 'bot';
  const password = 'botpass';
  writeFileSync(join(dir, 'users'), `${user}:{PLAIN}${password}:65534:65534::${dir}/mail/${user}\n`);
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = listwatch-test-${port}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%n ${dir}/users
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  let child: ChildProcess | null = null;
  let offline = 0;

  const start = async (): Promise<void> => {
    const c = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    c.stderr?.resume();
    child = c;
    await waitForPort(port, c);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) {
      child = null;
      return;
    }
    child = null;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    try {
      process.kill(-c.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // children (imap, auth) of the group may linger a moment; wait for the port to be free
    for (let i = 0; i < 100 && !(await portFree(port)); i++) await new Promise((r) => setTimeout(r, 20));
  };
  await start();

  return {
    port,
    user,
    password,
    dir,
    get running() {
      return child !== null;
    },
    deliver(raw) {
      if (child) {
        execFileSync('doveadm', ['-c', conf, 'save', '-u', user, '-m', 'INBOX'], { input: raw });
        return;
      }
      // server down: the MTA still drops mail into the Maildir; Dovecot finds it on the next SELECT
      const box = join(dir, 'mail', user, 'Maildir');
      for (const d of ['new', 'cur', 'tmp']) {
        mkdirSync(join(box, d), { recursive: true });
        chownSync(join(box, d), 65534, 65534);
      }
      chownSync(join(dir, 'mail', user), 65534, 65534);
      chownSync(box, 65534, 65534);
      const name = `${Date.now()}.M${++offline}P${process.pid}.listwatch-test`;
      writeFileSync(join(box, 'tmp', name), raw);
      chownSync(join(box, 'tmp', name), 65534, 65534);
      renameSync(join(box, 'tmp', name), join(box, 'new', name));
    },
    messageCount() {
      const out = execFileSync('doveadm', ['-c', conf, 'mailbox', 'status', '-u', user, 'messages', 'INBOX']).toString();
      return Number(/messages=(\d+)/.exec(out)?.[1] ?? '0');
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
