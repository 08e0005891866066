// The embedded default: each message becomes <messageId>.eml in a folder. Writing is atomic
// (temporary file, fsync, rename) and sending the same message again overwrites the same file,
// so the transport is idempotent and an interrupted send is simply repeated.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailTransport, TransportResult } from './types.js';

export function emlFileName(messageId: string): string {
  const safe = messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@+-]+/g, '_').replace(/^\.+/, '_').slice(0, 200);
  return `${safe || 'message'}.eml`;
}

export function directoryTransport(dir: string): MailTransport {
  let ready: Promise<unknown> | null = null;
  return {
    name: `directory ${dir}`,
    idempotent: true,
    async send(msg): Promise<TransportResult> {
      ready ??= mkdir(dir, { recursive: true });
      try {
        await ready;
      } catch (err) {
        ready = null;
        return { accepted: false, permanent: false, response: `cannot create ${dir}: ${(err as Error).message}` };
      }
      const name = emlFileName(msg.messageId);
      const final = join(dir, name);
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      try {
        const fh = await open(tmp, 'w', 0o640);
        try {
          await fh.writeFile(msg.raw);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, final);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        return { accepted: false, permanent: false, response: `cannot write ${final}: ${(err as Error).message}` };
      }
      return { accepted: true, response: `written to ${final}` };
    },
  };
}
