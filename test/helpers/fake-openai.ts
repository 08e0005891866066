// A loopback server that speaks enough of the OpenAI chat completions API for the real `openai`
// client: JSON replies, SSE streaming, and the failures the LLM layer must survive.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type Behaviour =
  /** a normal completion; `content` objects are JSON-encoded */
  | { kind: 'reply'; content: string | object; usage?: Usage | null; finishReason?: string; delayMs?: number }
  /** the model declines: `message.refusal` set, no content */
  | { kind: 'refusal'; refusal: string }
  /** an HTTP error status, with optional Retry-After header */
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  /** headers and the first part of the answer, then nothing more (the socket stays open) */
  | { kind: 'stall'; partial?: string }
  /** headers and part of the answer, then the socket is destroyed */
  | { kind: 'cut'; partial?: string }
  /** HTTP 200 whose body is not JSON at all */
  | { kind: 'broken-body' }
  /** accept the request and never answer */
  | { kind: 'hang' }
  /** a stream of content deltas that never ends (a server ignoring max_tokens), until the client leaves */
  | { kind: 'flood' };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** parsed JSON body, or null when it did not parse */
  body: any;
  raw: string;
  /** ms since the server started */
  at: number;
}

export interface FakeOpenAI {
  /** base URL for `new OpenAI({ baseURL })`, ending in /v1 */
  url: string;
  requests: RecordedRequest[];
  /** behaviours used in order, one per request */
  queue: Behaviour[];
  /** used when the queue is empty; default answers 500 "queue empty" */
  respond: (req: RecordedRequest) => Behaviour;
  /** highest number of requests in flight at the same time */
  maxInFlight: number;
  /** every user/system message text the server ever received, joined */
  receivedText(): string;
  close(): Promise<void>;
}

let ids = 0;

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const started = Date.now();
  const sockets = new Set<Socket>();
  let inFlight = 0;

  const fake: FakeOpenAI = {
    url: '',
    requests: [],
    queue: [],
    respond: () => ({ kind: 'status', status: 500 }),
    maxInFlight: 0,
    receivedText() {
      return fake.requests
        .flatMap((r) => (Array.isArray(r.body?.messages) ? r.body.messages : []))
        .map((m: { content?: unknown }) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
        .join('\n');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        raw,
        at: Date.now() - started,
      };
      fake.requests.push(rec);
      inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      if (req.method !== 'POST' || !(req.url ?? '').endsWith('/chat/completions')) {
        sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
        return;
      }
      const behaviour = fake.queue.shift() ?? fake.respond(rec);
      act(req, res, rec, behaviour);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/v1`;
  return fake;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function act(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest, b: Behaviour): void {
  const stream = rec.body?.stream === true;
  const model = typeof rec.body?.model === 'string' ? rec.body.model : 'fake-model';
  const id = `chatcmpl-fake-${++ids}`;
  const created = Math.floor(Date.now() / 1000);
  switch (b.kind) {
    case 'status': {
      const headers: Record<string, string> = {};
      if (b.retryAfter !== undefined) headers['retry-after'] = b.retryAfter;
      sendJson(res, b.status, { error: { message: b.message ?? `fake status ${b.status}`, type: 'fake_error' } }, headers);
      return;
    }
    case 'hang':
      return; // the socket stays open until the client gives up or close() destroys it
    case 'flood': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const delta = sse(chunk(id, created, model, { content: 'x'.repeat(16 * 1024) }, null));
      const more = (): void => {
        // as fast as the client reads, for as long as it reads
        while (!res.destroyed && res.write(delta));
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      more();
      return;
    }
    case 'stall':
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(chunk(id, created, model, { role: 'assistant', content: b.partial ?? '{"statements": [' }, null)));
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"id":"');
      }
      return;
    case 'broken-body':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-broken", "choices": [ {"message": ');
      return;
    case 'cut': {
      const partial = b.partial ?? '{"statements": [{"quo';
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(chunk(id, created, model, { role: 'assistant', content: partial }, null)));
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write(`{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":`);
      }
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    case 'refusal':
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(chunk(id, created, model, { role: 'assistant', content: null, refusal: b.refusal }, null)));
        res.write(sse(chunk(id, created, model, {}, 'stop')));
        res.end('data: [DONE]\n\n');
      } else {
        sendJson(res, 200, completion(id, created, model, { role: 'assistant', content: null, refusal: b.refusal }, 'stop', null));
      }
      return;
    case 'reply': {
      const content = typeof b.content === 'string' ? b.content : JSON.stringify(b.content);
      const usage = b.usage === undefined ? { prompt_tokens: Math.ceil(rec.raw.length / 4), completion_tokens: Math.ceil(content.length / 4) } : b.usage;
      const send = () => {
        if (res.destroyed) return;
        if (stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(sse(chunk(id, created, model, { role: 'assistant', content: '' }, null)));
          // split the content into a few deltas, as a real server does
          const step = Math.max(1, Math.ceil(content.length / 4));
          for (let i = 0; i < content.length; i += step) {
            res.write(sse(chunk(id, created, model, { content: content.slice(i, i + step) }, null)));
          }
          res.write(sse(chunk(id, created, model, {}, b.finishReason ?? 'stop')));
          if (usage && rec.body?.stream_options?.include_usage) {
            res.write(sse({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: withTotal(usage) }));
          }
          res.end('data: [DONE]\n\n');
        } else {
          sendJson(res, 200, completion(id, created, model, { role: 'assistant', content, refusal: null }, b.finishReason ?? 'stop', usage));
        }
      };
      if (b.delayMs) setTimeout(send, b.delayMs);
      else send();
      return;
    }
  }
  void req;
}

function withTotal(u: Usage) {
  return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

function completion(id: string, created: number, model: string, message: object, finish: string, usage: Usage | null) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
    ...(usage ? { usage: withTotal(usage) } : {}),
  };
}

function chunk(id: string, created: number, model: string, delta: object, finish: string | null) {
  return { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

function sse(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}
