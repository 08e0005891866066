import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputReadError, readInputs, type SourceItem } from '../src/source/index.js';

const fixture = (name: string): string => new URL(`../fixtures/mail/${name}`, import.meta.url).pathname;
const SEED = new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url).pathname;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(paths: string[], opts?: Parameters<typeof readInputs>[1]): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readInputs(paths, opts)) out.push(item);
  return out;
}

function mboxOf(bodies: string[]): string {
  return bodies.map((b, i) => `From sender${i}@example.org Thu Sep  6 10:49:2${i} 2001\n${b}\n`).join('\n');
}

const message = (n: number, body = `body ${n}\n`): string =>
  `From: Poster ${n} <p${n}@example.org>\nSubject: post ${n}\nMessage-ID: <m${n}@example.org>\n\n${body}`;

describe('readInputs: mbox', () => {
  it('streams each message with a path#N input id, in order, undoing >From escapes', async () => {
    const path = join(dir, 'list.mbox');
    writeFileSync(path, mboxOf([message(1), message(2, '>From the sensor:\nx\n'), message(3)]));
    const items = await collect([path]);
    expect(items.map((i) => [i.kind, i.input])).toEqual([
      ['message', `${path}#1`],
      ['message', `${path}#2`],
      ['message', `${path}#3`],
    ]);
    const raw2 = (items[1] as Extract<SourceItem, { kind: 'message' }>).raw.toString();
    expect(raw2).toContain('Message-ID: <m2@example.org>');
    expect(raw2).toContain('\nFrom the sensor:\n');
    expect(raw2.startsWith('From sender')).toBe(false);
  });

  it('is detected by content, whatever the file is called', async () => {
    const path = join(dir, 'archive.txt');
    writeFileSync(path, mboxOf([message(1), message(2)]));
    const items = await collect([path]);
    expect(items.map((i) => i.input)).toEqual([`${path}#1`, `${path}#2`]);
  });
});

describe('readInputs: folders and single files', () => {
  it('reads a Maildir: new/ and cur/ sorted by name, tmp/ ignored', async () => {
    const md = join(dir, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(md, d), { recursive: true });
    writeFileSync(join(md, 'cur', '1000000002.M1.host:2,S'), message(2));
    writeFileSync(join(md, 'new', '1000000001.M1.host'), message(1));
    writeFileSync(join(md, 'new', '1000000003.M1.host'), message(3));
    writeFileSync(join(md, 'tmp', '1000000000.M1.host'), message(0));
    const items = await collect([md]);
    expect(items.every((i) => i.kind === 'message')).toBe(true);
    expect(items.map((i) => i.input)).toEqual([
      join(md, 'new', '1000000001.M1.host'),
      join(md, 'cur', '1000000002.M1.host:2,S'),
      join(md, 'new', '1000000003.M1.host'),
    ]);
  });

  it('reads a folder of .eml/.txt/.msg files sorted, skipping other files', async () => {
    const f = join(dir, 'posts');
    mkdirSync(f);
    copyFileSync(fixture('quote-outlook.eml'), join(f, 'b.eml'));
    copyFileSync(SEED, join(f, 'a.txt'));
    writeFileSync(join(f, 'c.MSG'), message(3));
    writeFileSync(join(f, 'notes.md'), '# not a post');
    const items = await collect([f]);
    expect(items.map((i) => i.input)).toEqual([join(f, 'a.txt'), join(f, 'b.eml'), join(f, 'c.MSG')]);
  });

  it('says so when a folder holds no messages', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const items = await collect([empty]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'error', input: empty });
  });

  it('reads one .eml and one web-archive .txt as they are', async () => {
    const items = await collect([fixture('quote-groupwise.eml'), SEED]);
    expect(items.map((i) => i.kind)).toEqual(['message', 'message']);
    expect((items[1] as Extract<SourceItem, { kind: 'message' }>).raw.equals(readFileSync(SEED))).toBe(true);
  });

  it("reads one message from stdin for '-'", async () => {
    const stdin = Readable.from([Buffer.from(message(7).slice(0, 20)), Buffer.from(message(7).slice(20))]);
    const items = await collect(['-'], { stdin });
    expect(items).toEqual([{ kind: 'message', input: '-', raw: Buffer.from(message(7)) }]);
  });
});

describe('readInputs: unreadable paths fail before anything is yielded', () => {
  it('throws InputReadError naming a missing path even when earlier paths are fine', async () => {
    const gen = readInputs([fixture('quote-outlook.eml'), join(dir, 'nope.mbox')]);
    const err = await gen.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputReadError);
    expect((err as InputReadError).input).toBe(join(dir, 'nope.mbox'));
    expect((err as Error).message).toContain('nope.mbox');
    expect((err as Error).message).toContain('no such file');
  });

  it('throws for a path through a file', async () => {
    await expect(collect([join(fixture('quote-outlook.eml'), 'x')])).rejects.toThrow(/not a folder/);
  });

  it.skipIf(process.getuid?.() === 0)('throws for a file without read permission', async () => {
    const locked = join(dir, 'locked.eml');
    writeFileSync(locked, message(1));
    chmodSync(locked, 0o000);
    await expect(collect([locked])).rejects.toThrow(/permission denied/);
  });
});

describe('readInputs: the committed mbox fixture', () => {
  it('yields the four posts of fixtures/mbox/code-red-thread.mbox, each parseable', async () => {
    const { parseMail } = await import('../src/mail/parse.js');
    const path = new URL('../fixtures/mbox/code-red-thread.mbox', import.meta.url).pathname;
    const items = await collect([path]);
    expect(items.map((i) => i.input)).toEqual([1, 2, 3, 4].map((n) => `${path}#${n}`));
    const posts = [];
    for (const item of items) {
      if (item.kind !== 'message') throw new Error(item.message);
      posts.push(await parseMail(item.raw, item.input));
    }
    expect(posts.map((p) => p.from.org)).toEqual(['northernregistrars.co.uk', 'example.net', 'example.com', 'example.edu']);
    expect(posts[0]!.blocks.find((b) => b.kind === 'quoted')?.author?.org).toBe('auckland.ac.nz');
    // mboxrd: `>>From` in the file is the post's own `>From` escape, which segmentBody undoes
    expect(posts[3]!.text.split('\n')).toContain('>From the border sensor, last night:');
    expect(posts[3]!.blocks.flatMap((b) => b.lines)).toContain('From the border sensor, last night:');
  });
});
