/**
 * Writes `JSON.stringify(value, null, 2) + '\n'` to a stream piece by piece: the top-level object
 * and the arrays directly under it are opened here and each element is stringified on its own, so
 * a large archive's document never becomes one string (V8 caps a string near 512 MB, and the
 * string doubled the peak memory). The bytes are the same as the one-string form.
 */
export async function writeJsonDocument(value: unknown, out: NodeJS.WritableStream): Promise<void> {
  let buf = '';
  for (const piece of pieces(value, '', 0)) {
    buf += piece;
    if (buf.length >= 1 << 16) {
      await write(out, buf);
      buf = '';
    }
  }
  await write(out, `${buf}\n`);
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', () => resolve());
  });
}

/** how deep the structure is opened by hand; below it JSON.stringify does each element */
const OPEN_DEPTH = 2;

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  const plainObject = value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
  if (depth >= OPEN_DEPTH || !plainObject) {
    // JSON strings never hold a raw newline, so every newline here is layout and takes the indent
    const s = JSON.stringify(value, null, 2) as string | undefined;
    yield s === undefined ? 'null' : s.replace(/\n/g, `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield i === 0 ? `\n${inner}` : `,\n${inner}`;
      yield* pieces(value[i], inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
    yield* pieces(v, inner, depth + 1);
  }
  yield `\n${indent}}`;
}
