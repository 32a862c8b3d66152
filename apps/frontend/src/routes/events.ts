import type { ServerResponse } from 'node:http';
import { encodeCursor, type TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toCard } from '../cards.js';
import { parseCursor } from '../paging.js';
import { FANOUT_LIMIT } from '../plugins/app/feed.js';
import type { SHED_REASONS } from '../plugins/app/metrics.js';
import { overBudget } from '../sse-budget.js';

/** A client that reads slower than this is dropped (it reconnects and resumes by Last-Event-ID). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * How often the streams' unsent bytes are checked against the budget and the write timeout, at most.
 * Between broadcasts: right after one, a client that reads has its share still unsent for a moment.
 */
const SWEEP_MS = 1000;
const RECONNECT_MS = 3000;
/** When a client over the stream limits should try again. */
const FULL_RETRY_AFTER_SECONDS = 30;

export interface EventsOptions {
  heartbeatMs: number;
  /** Open streams per pod and per client address; beyond, 503 with Retry-After. */
  maxStreams: number;
  maxStreamsPerClient: number;
  /** Each stream ends after this long (up to a tenth more, so reconnects spread): the browser resumes it, maybe on a new pod. */
  maxAgeMs: number;
  /** Unsent bytes all streams of the pod may hold; beyond, the slowest are dropped. */
  bufferBudgetBytes: number;
  /** A stream whose unsent bytes have not drained for this long is dropped. */
  writeTimeoutMs: number;
}

interface Event {
  tweetId: string;
  text: string;
}

interface Client {
  res: ServerResponse;
  address: string;
  /** Events broadcast while the client's resume query runs; null once it is live. */
  pending: Event[] | null;
  /**
   * Tweets the resume sent that the poller has not broadcast yet: a tweet stored late is broadcast
   * when it appears on the first page, maybe after the resume read it, and must not come twice.
   */
  resumed: Set<string>;
  /** When its unsent bytes were last seen drained (ms since the epoch). */
  drainedAt: number;
}

const Query = z.object({
  since: z.string().max(200).optional().describe('cursor of the newest tweet the page shows'),
});

/**
 * `GET /events`: server-sent events. Each tweet new on the first page (posted, or stored late) is
 * one `tweet` event whose id is the tweet's cursor and whose data is `{ html, createdAt }`, the
 * card rendered (and escaped) by the same partial as the page. A reconnecting client sends `Last-Event-ID` (a fresh page
 * sends `?since=` its newest tweet) and first gets what it missed. Streams are capped per pod and
 * per client address, and end after `maxAgeMs`. Clients that do not read cannot run the pod out of
 * memory: the unsent bytes of all streams are kept within `bufferBudgetBytes` by dropping the largest
 * backlogs first, and a stream that has not drained for `writeTimeoutMs` is dropped; a dropped client
 * reconnects and resumes.
 */
const events: FastifyPluginAsyncZod<EventsOptions> = async (fastify, options) => {
  const clients = new Set<Client>();
  const perAddress = new Map<string, number>();

  async function render(tweets: TweetDocument[]): Promise<Event[]> {
    const now = new Date();
    // Oldest first: the browser prepends each one, so the newest ends on top.
    return Promise.all(
      tweets.toReversed().map(async (tweet) => {
        const html = await fastify.view('partials/tweet', { card: toCard(tweet, now) });
        const data = JSON.stringify({ html, createdAt: tweet.created_at.toISOString() });
        return { tweetId: tweet._id, text: `id: ${encodeCursor(tweet)}\nevent: tweet\ndata: ${data}\n\n` };
      }),
    );
  }

  function write(client: Client, text: string): void {
    client.res.write(text);
    if (client.res.writableLength > MAX_BUFFERED_BYTES) shed(client, 'client_buffer');
  }

  function shed(client: Client, reason: (typeof SHED_REASONS)[number]): void {
    fastify.metrics.sseShed.inc({ reason });
    client.res.destroy();
    remove(client);
  }

  /** Drops the streams that are over the pod's budget (largest backlog first) and those that stopped draining. */
  function enforceLimits(): void {
    const now = Date.now();
    const live = [...clients].filter((client) => !client.pending);
    for (const client of live) {
      if (client.res.writableLength === 0) client.drainedAt = now;
      else if (now - client.drainedAt > options.writeTimeoutMs) shed(client, 'stalled');
    }
    const backlogs = [...clients].map((client) => ({ client, backlog: client.res.writableLength }));
    for (const { client } of overBudget(backlogs, options.bufferBudgetBytes)) shed(client, 'budget');
  }

  function add(client: Client): void {
    clients.add(client);
    perAddress.set(client.address, (perAddress.get(client.address) ?? 0) + 1);
    fastify.metrics.sseClients.set(clients.size);
  }

  function remove(client: Client): void {
    if (!clients.delete(client)) return;
    const left = (perAddress.get(client.address) ?? 1) - 1;
    if (left > 0) perAddress.set(client.address, left);
    else perAddress.delete(client.address);
    fastify.metrics.sseClients.set(clients.size);
  }

  const unsubscribe = fastify.feed.subscribe((tweets) => {
    // Listeners are called as the poller's read returns: the broadcast is timed from here.
    const readAt = performance.now();
    render(tweets).then(
      (events) => {
        const text = events.map((event) => event.text).join('');
        for (const client of clients) {
          if (client.pending) client.pending.push(...events);
          else if (client.resumed.size === 0) write(client, text);
          else write(client, notResumed(client, events));
        }
        fastify.metrics.sseBroadcast.observe((performance.now() - readAt) / 1000);
      },
      (error: unknown) => fastify.log.error({ err: error }, 'events: cannot render new tweets'),
    );
  });

  // One timer for all streams: comments keep proxies and load balancers from closing idle ones.
  const heartbeat = setInterval(() => {
    for (const client of clients) if (!client.pending) write(client, ': heartbeat\n\n');
  }, options.heartbeatMs);
  const sweep = setInterval(enforceLimits, Math.min(SWEEP_MS, options.writeTimeoutMs / 4));

  fastify.addHook('preClose', async () => {
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(sweep);
    for (const client of clients) client.res.end();
    clients.clear();
    perAddress.clear();
    fastify.metrics.sseClients.set(0);
  });

  fastify.get('/events', { schema: { querystring: Query }, config: { rateLimit: {} } }, async (request, reply) => {
    const lastEventId = request.headers['last-event-id'];
    const since =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? parseCursor(lastEventId, 'Last-Event-ID')
        : parseCursor(request.query.since, 'since');

    if (clients.size >= options.maxStreams || (perAddress.get(request.ip) ?? 0) >= options.maxStreamsPerClient) {
      fastify.metrics.sseRejected.inc();
      reply.code(503).header('retry-after', FULL_RETRY_AFTER_SECONDS);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Too many open event streams; try again later.',
      };
    }

    const client: Client = {
      res: reply.raw,
      address: request.ip,
      pending: [],
      resumed: new Set(),
      drainedAt: Date.now(),
    };
    add(client);
    const maxAge = setTimeout(() => client.res.end(), options.maxAgeMs * (1 + Math.random() / 10));
    reply.raw.on('close', () => {
      clearTimeout(maxAge);
      remove(client);
    });

    let missed: Event[];
    try {
      missed = since ? await render(await fastify.feed.newerThan(since, FANOUT_LIMIT)) : [];
    } catch (error) {
      clearTimeout(maxAge);
      remove(client);
      throw error;
    }

    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
      // Hijacked: the request log's onRequest header is not sent, so the id is echoed here.
      'x-request-id': request.id,
      // An event stream's connection is never reused: closing it with the stream lets shutdown finish at once.
      connection: 'close',
    });
    client.resumed = new Set(missed.map((event) => event.tweetId));
    const queued = notResumed(client, client.pending ?? []);
    client.pending = null;
    client.drainedAt = Date.now();
    write(client, `retry: ${RECONNECT_MS}\n\n${missed.map((event) => event.text).join('')}${queued}`);
  });
};

export default events;

/** The text of the events the client did not get from its resume; each resumed tweet is skipped once. */
function notResumed(client: Client, events: Event[]): string {
  return events
    .filter((event) => !client.resumed.delete(event.tweetId))
    .map((event) => event.text)
    .join('');
}
