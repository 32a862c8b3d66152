import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A stand-in for the X API v2 on 127.0.0.1, speaking its wire format: the filtered stream as
 * `\r\n`-delimited JSON with `\r\n` keep-alives, the stream rules endpoints, and search/recent with
 * since_id / start_time / next_token paging, rate-limit headers and X's seven-day window. Each stream
 * connection plays the next script; with no script left it is a live connection, which receives every
 * post `publish` sends.
 *
 * As X, it allows one stream connection per app: a connect while one is open, or while a closed one
 * is still counted (`droppedStreamCountedMs` after its close: X notices a dropped connection late),
 * is answered 429 TooManyConnections.
 */

/** One step of a stream connection: raw bytes or text to write, or a promise to wait for before going on. */
export type StreamStep = string | Buffer | Promise<unknown>;

export type StreamScript =
  /** Answer the connect request with an HTTP error (e.g. 429 TooManyConnections, 503). */
  | { status: number; body: object }
  /** Accept, play the steps, then end the response, reset the socket, or keep it open silently. */
  | { steps: StreamStep[]; ending: 'end' | 'reset' | 'hang' }
  /** Reset the socket before any response: a network error. */
  | { refuse: true }
  /** Accept the request but never answer it. */
  | { silent: true };

export interface Post {
  data: { id: string; author_id: string } & Record<string, unknown>;
  includes?: { users?: object[] };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export const frame = (message: object): string => `${JSON.stringify(message)}\r\n`;
export const KEEP_ALIVE = '\r\n';
export const OPERATIONAL_DISCONNECT = frame({
  errors: [
    {
      title: 'operational-disconnect',
      disconnect_type: 'OperationalDisconnect',
      detail: 'This stream has been disconnected for operational reasons.',
      type: 'https://api.twitter.com/2/problems/operational-disconnect',
    },
  ],
});
export const TOO_MANY_CONNECTIONS = {
  status: 429,
  body: {
    title: 'ConnectionException',
    detail: 'This stream is currently at the maximum allowed connection limit.',
    connection_issue: 'TooManyConnections',
    type: 'https://api.twitter.com/2/problems/streaming-connection',
  },
} satisfies StreamScript;
export const SERVICE_UNAVAILABLE: StreamScript = {
  status: 503,
  body: { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: 503 },
};

export class FakeXApi {
  readonly requests: RecordedRequest[] = [];
  readonly rules = new Map<string, { id: string; value: string; tag?: string }>();
  readonly streamScripts: StreamScript[] = [];
  /** Posts search/recent finds while they are in its window, any order. */
  readonly searchPosts: Post[] = [];
  /** How far back search/recent reaches, as X's recent search does (seven days). */
  searchWindowMs = 7 * 24 * 3600_000;
  searchPageSize = 10;
  /** Requests left in the search rate-limit window; a request with none left gets a 429. */
  searchRemaining = 450;
  searchResetAt = Math.floor(Date.now() / 1000) + 900;
  searchTooManyRequests = 0;
  streamConnections = 0;
  /** How often a live connection gets a keep-alive (`\r\n`), as X sends one every 20 seconds. */
  liveKeepAliveMs = 20_000;
  /**
   * The most stream connections open or being asked for at the same time: a connect that arrives while
   * another is open counts as two, even though it is refused. The X API allows one per app.
   */
  maxConcurrentStreams = 0;
  /**
   * The most stream connections accepted (200, streaming) and open at the same instant; refused connects
   * do not count. The stand-in refuses a second one as X does, so more than 1 here is a bug in it.
   */
  maxAcceptedConcurrentStreams = 0;
  /** How long a closed stream connection still counts against the limit of one. */
  droppedStreamCountedMs = 0;
  /** Connects refused because a connection was open or still counted. */
  tooManyConnections = 0;
  private openStreams = 0;
  private countedDropped = 0;
  private readonly liveResponses = new Set<ServerResponse>();
  private nextRuleId = 1_000;
  private readonly openResponses = new Set<ServerResponse>();
  /** When each post entered search: at `publish`, or for one pushed onto `searchPosts`, the first search after. */
  private readonly enteredAt = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start(token = 'test-bearer-token'): Promise<FakeXApi> {
    const server = createServer();
    const api = new FakeXApi(server, token);
    server.on('request', (request, response) => void api.handle(request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return api;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Publishes a post: every live stream connection gets it now, and search/recent finds it from now on. */
  publish(post: Post & { matching_rules?: object[] }): void {
    this.searchPosts.push(post);
    this.enteredAt.set(post.data.id, Date.now());
    for (const response of this.liveResponses) response.write(frame(post));
  }

  /** Ages every post known so far by `ms`: an outage longer than the search window without the wait. */
  backdate(ms: number): void {
    this.stampNewPosts();
    for (const [id, at] of this.enteredAt) this.enteredAt.set(id, at - ms);
  }

  /** Live stream connections open now (those that receive what `publish` sends). */
  get liveStreams(): number {
    return this.liveResponses.size;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    for (const response of this.openResponses) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    this.requests.push({
      method: request.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      body: raw ? JSON.parse(raw) : undefined,
    });
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      return json(response, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /2/tweets/search/stream') return this.stream(request, response);
    if (route === 'GET /2/tweets/search/stream/rules') return this.listRules(response);
    if (route === 'POST /2/tweets/search/stream/rules')
      return this.changeRules(response, JSON.parse(raw) as RuleChange);
    if (route === 'GET /2/tweets/search/recent') return this.search(url.searchParams, response);
    json(response, 404, { title: 'Not Found Error', type: 'about:blank', status: 404 });
  }

  private async stream(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.streamConnections++;
    this.maxConcurrentStreams = Math.max(this.maxConcurrentStreams, this.openStreams + 1);
    if (this.openStreams + this.countedDropped > 0) {
      this.tooManyConnections++;
      return json(response, TOO_MANY_CONNECTIONS.status, TOO_MANY_CONNECTIONS.body);
    }
    const script = this.streamScripts.shift();
    if (script && 'refuse' in script) return void request.socket.resetAndDestroy();
    if (script && 'silent' in script) return void this.openResponses.add(response);
    if (script && 'status' in script) return json(response, script.status, script.body);
    request.socket.setNoDelay(true);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    this.openResponses.add(response);
    this.openStreams++;
    this.maxAcceptedConcurrentStreams = Math.max(this.maxAcceptedConcurrentStreams, this.openStreams);
    response.on('close', () => {
      this.openResponses.delete(response);
      this.liveResponses.delete(response);
      this.openStreams--;
      if (this.droppedStreamCountedMs <= 0) return;
      this.countedDropped++;
      setTimeout(() => this.countedDropped--, this.droppedStreamCountedMs).unref();
    });
    if (!script) {
      this.liveResponses.add(response);
      const keepAlive = setInterval(() => response.write(KEEP_ALIVE), this.liveKeepAliveMs);
      response.on('close', () => clearInterval(keepAlive));
      return;
    }
    for (const step of script.steps) {
      if (typeof step === 'string' || Buffer.isBuffer(step)) {
        response.write(step);
        // Let each step leave as a chunk of its own.
        await delay(5);
      } else {
        await step;
      }
      if (response.destroyed) return;
    }
    if (script.ending === 'end') response.end();
    if (script.ending === 'reset') request.socket.resetAndDestroy();
  }

  private listRules(response: ServerResponse): void {
    const data = [...this.rules.values()];
    const meta = { sent: new Date().toISOString(), result_count: data.length };
    json(response, 200, data.length > 0 ? { data, meta } : { meta });
  }

  private changeRules(response: ServerResponse, change: RuleChange): void {
    const sent = new Date().toISOString();
    if (change.delete) {
      const deleted = change.delete.ids.filter((id) => this.rules.delete(id)).length;
      json(response, 200, { meta: { sent, summary: { deleted, not_deleted: change.delete.ids.length - deleted } } });
      return;
    }
    const added = (change.add ?? []).map((rule) => ({ ...rule, id: String(this.nextRuleId++) }));
    for (const rule of added) this.rules.set(rule.id, rule);
    json(response, 201, {
      data: added,
      meta: { sent, summary: { created: added.length, not_created: 0, valid: added.length, invalid: 0 } },
    });
  }

  private search(query: URLSearchParams, response: ServerResponse): void {
    const rateHeaders = () => ({
      'x-rate-limit-limit': '450',
      'x-rate-limit-remaining': String(this.searchRemaining),
      'x-rate-limit-reset': String(this.searchResetAt),
    });
    if (this.searchRemaining <= 0) {
      this.searchTooManyRequests++;
      json(response, 429, { title: 'Too Many Requests', type: 'about:blank', status: 429 }, rateHeaders());
      return;
    }
    this.searchRemaining--;
    this.stampNewPosts();
    const windowStart = Date.now() - this.searchWindowMs;
    const since = query.get('since_id');
    const startTime = query.get('start_time');
    if (since !== null && startTime !== null) {
      json(response, 400, invalidRequest({ since_id: [since], start_time: [startTime] }, SINCE_WITH_START_TIME));
      return;
    }
    const entered = (post: Post) => this.enteredAt.get(post.data.id) ?? 0;
    const inWindow = this.searchPosts.filter((post) => entered(post) >= windowStart);
    // X refuses a since_id from before its window instead of answering with what is left of it.
    const newestGone = this.searchPosts
      .filter((post) => entered(post) < windowStart)
      .reduce<bigint | null>(
        (max, post) => (max === null || BigInt(post.data.id) > max ? BigInt(post.data.id) : max),
        null,
      );
    if (since !== null && newestGone !== null && BigInt(since) <= newestGone) {
      const after = new Date(windowStart).toISOString().slice(0, 16);
      const message = `'since_id' must be a tweet id created after ${after}Z. Please use a 'since_id' that is larger than ${newestGone}`;
      json(response, 400, invalidRequest({ since_id: [since] }, message), rateHeaders());
      return;
    }
    const sinceId = BigInt(since ?? '0');
    const from = startTime === null ? windowStart : Date.parse(startTime);
    const matching = inWindow
      .filter((post) => BigInt(post.data.id) > sinceId && entered(post) >= from)
      .sort((a, b) => (BigInt(b.data.id) > BigInt(a.data.id) ? 1 : -1));
    const offset = Number(query.get('next_token')?.replace('page-', '') ?? 0);
    const page = matching.slice(offset, offset + this.searchPageSize);
    const nextOffset = offset + this.searchPageSize;
    if (page.length === 0) {
      json(response, 200, { meta: { result_count: 0 } }, rateHeaders());
      return;
    }
    json(
      response,
      200,
      {
        data: page.map((post) => post.data),
        includes: { users: page.flatMap((post) => post.includes?.users ?? []) },
        meta: {
          newest_id: page[0]?.data.id,
          oldest_id: page.at(-1)?.data.id,
          result_count: page.length,
          ...(nextOffset < matching.length ? { next_token: `page-${nextOffset}` } : {}),
        },
      },
      rateHeaders(),
    );
  }

  private stampNewPosts(): void {
    const now = Date.now();
    for (const post of this.searchPosts) if (!this.enteredAt.has(post.data.id)) this.enteredAt.set(post.data.id, now);
  }
}

const SINCE_WITH_START_TIME = "Invalid use of 'since_id' or 'until_id' in conjunction with 'start_time' or 'end_time'.";

/** X API v2's 400 for parameters it refuses, naming each with the values sent. */
function invalidRequest(parameters: Record<string, string[]>, message: string): object {
  return {
    errors: [{ parameters, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  };
}

interface RuleChange {
  add?: { value: string; tag?: string }[];
  delete?: { ids: string[] };
}

function json(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}
