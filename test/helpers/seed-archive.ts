import { readFileSync } from 'node:fs';

const SEED = 'fixtures/seed/incidents-2001-09-06-code-red-variants.txt';

/** The seed's quoted report re-posted `copies` times with other addresses and dates: every copy has an alert↔flow join, and the unchanged argus lines are quoted copies of each other. */
export function seedArchive(copies: number): string {
  const text = readFileSync(SEED, 'utf8');
  const body = text.slice(text.indexOf("I've seen this as well"));
  const all = text.split('\n');
  const firstArgus = all.findIndex((l) => l.startsWith('06 Sep 01 00:02:34'));
  // the argus block of the seed: a record and its wrapped state line, ten times
  const argusLines = all.slice(firstArgus, firstArgus + 20);
  const parts: string[] = [];
  for (let k = 0; k < copies; k++) {
    const a = `130.67.${(k % 200) + 1}.${(k % 7) + 10}`;
    const t = `130.216.${(k % 150) + 1}.${(k % 11) + 20}`;
    let b = body.replaceAll('130.67.240.225', a).replaceAll('130.216.223.150', t);
    // records quoted with no attribution at all (their reporter comes from the original) or with a name only
    if (k % 5 === 2) b += `\nSeen elsewhere:\n\n${argusLines.map((l) => `> ${l}`).join('\n')}\n`;
    // the same records in a later post's own text: that post has the original, the earlier quotes are its copies
    if (k % 5 === 4) b = `Our own logs show the same:\n\n${argusLines.slice(0, 8).join('\n')}\n\n${b}`;
    if (k % 5 === 3) b += `\nOn Thu, 06 Sep 2001, Reporter ${(k + 1) % 5} wrote:\n${argusLines.slice(4, 12).map((l) => `> ${l}`).join('\n')}\n`;
    const day = String((k % 20) + 1).padStart(2, '0');
    const from = k % 3 === 0 ? '"Matthew Collins" <Matthew.Collins@northernregistrars.co.uk>' : `"Reporter ${k % 5}" <r${k % 5}@org${k % 4}.example>`;
    parts.push(
      `From seed-${k}@example Thu Sep ${day} 10:49:20 2001\n` +
        `From: ${from}\nDate: Thu, ${day} Sep 2001 10:49:20 +0100\nSubject: Re: Code red variants?\n` +
        `Message-ID: <seed-${k}@example>\n${k > 0 && k % 4 === 0 ? `In-Reply-To: <seed-${k - 1}@example>\n` : ''}\n` +
        `${b.replace(/^From /gm, '>From ')}\n`,
    );
  }
  return parts.join('');
}

