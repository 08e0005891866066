// Prompts live in prompts/<task>.v<N>.txt: a "=== system ===" and a "=== user ===" section with
// {{name}} placeholders. The file name is the version that goes into the cache key.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

export interface PromptTemplate {
  /** e.g. `corroborate.v1` */
  id: string;
  system: string;
  user: string;
  placeholders: string[];
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface RenderedPrompt {
  id: string;
  messages: ChatMessage[];
}

const PLACEHOLDER = /\{\{([a-z][a-z0-9_]{0,40})\}\}/g;
const SECTION = /^=== (system|user) ===$/;

const loaded = new Map<string, PromptTemplate>();

export function parsePromptFile(id: string, text: string): PromptTemplate {
  const sections: Record<string, string[]> = {};
  let current: string[] | null = null;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const m = SECTION.exec(line);
    if (m) {
      current = sections[m[1]!] = [];
    } else if (current) {
      current.push(line);
    }
  }
  const system = sections.system?.join('\n').trim();
  const user = sections.user?.join('\n').trim();
  if (!system || !user) throw new Error(`prompt ${id}: needs a "=== system ===" and a "=== user ===" section`);
  const placeholders = [...new Set([...`${system}\n${user}`.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
  return { id, system, user, placeholders };
}

/** Reads prompts/<id>.txt once per process. */
export function loadPrompt(id: string, dir: string = PROMPTS_DIR): PromptTemplate {
  const cacheKey = `${dir}\0${id}`;
  const hit = loaded.get(cacheKey);
  if (hit) return hit;
  if (!/^[a-z][a-z0-9-]*\.v\d+$/.test(id)) throw new Error(`prompt id '${id}' is not <task>.v<N>`);
  const t = parsePromptFile(id, readFileSync(`${dir}${dir.endsWith('/') ? '' : '/'}${id}.txt`, 'utf8'));
  loaded.set(cacheKey, t);
  return t;
}

/**
 * Fills every {{name}} in one pass, so a value that itself contains "{{x}}" stays as it is.
 * Throws when a placeholder has no value or a value has no placeholder (a typo either side).
 */
export function renderPrompt(t: PromptTemplate, values: Record<string, string>): RenderedPrompt {
  const missing = t.placeholders.filter((p) => !(p in values));
  if (missing.length > 0) throw new Error(`prompt ${t.id}: no value for {{${missing.join('}}, {{')}}}`);
  const unused = Object.keys(values).filter((k) => !t.placeholders.includes(k));
  if (unused.length > 0) throw new Error(`prompt ${t.id}: no placeholder for ${unused.join(', ')}`);
  const fill = (s: string) => s.replace(PLACEHOLDER, (_, name: string) => values[name]!);
  return {
    id: t.id,
    messages: [
      { role: 'system', content: fill(t.system) },
      { role: 'user', content: fill(t.user) },
    ],
  };
}

/**
 * A fence line for untrusted text: derived from the text (so the same input gives the same prompt
 * and the cache hits) and guaranteed not to occur inside it, so a post cannot close its own fence.
 */
export function fenceFor(...texts: string[]): string {
  const joined = texts.join('\0');
  for (let salt = 0; ; salt++) {
    const tag = createHash('sha256').update(`${salt}\0${joined}`).digest('hex').slice(0, 12);
    const fence = `<<<DATA ${tag}>>>`;
    if (!joined.includes(tag)) return fence;
  }
}
