import { createHash } from 'node:crypto';

/** A short stable id: the same parts always give the same id. */
export function stableId(prefix: string, ...parts: Array<string | number | null | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p ?? ''}\u0000`);
  return `${prefix}-${h.digest('hex').slice(0, 16)}`;
}
