import type { Socket } from 'node:net';
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
 * How often, at most, the one sweep ends the streams past their age and checks the unsent bytes
 * against the write timeout and the budget. Between broadcasts: right after one, a client that reads
 * has its share still unsent for a moment.
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

/**
 * What an open stream keeps, keyed by its socket: after the response head the stream is written to
 * the socket directly, so no request, reply, closure or timer per stream is held by this plugin.
 */
interface Stream {
  address: string;
  /** HTTP/1.1 requests get a chunked body (a clean end is told from a cut one); HTTP/1.0 a close-delimited one. */
  chunked: boolean;
  /** Events broadcast while the client's resume query runs; null once it is live. */
  pending: Event[] | null;
  /**
   * Tweets the resume sent that the poller has not broadcast yet: a tweet stored late is broadcast
   * when it appears on the first page, maybe after the resume read it, and must not come twice. Null when none.
   */
  resumed: Set<string> | null;
  /** When its unsent bytes were last seen drained (ms since the epoch). */
  drainedAt: number;
  /** When the stream ends (ms since the epoch): the shared sweep ends it. */
  endsAt: number;
}

/** A message as the bytes every stream is sent: one copy, written to each socket as is. */
interface Frames {
  /** An HTTP/1.1 chunk. */
  chunked: Buffer;
  /** The bytes alone, for a close-delimited (HTTP/1.0) body. */
  plain: Buffer;
}

function frames(text: string): Frames {
  const plain = Buffer.from(text);
  return { plain, chunked: Buffer.concat([Buffer.from(`${plain.length.toString(16)}\r\n`), plain, CRLF]) };
}

const CRLF = Buffer.from('\r\n');
/** The chunk that ends a chunked body. */
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
const HEARTBEAT = frames(': heartbeat\n\n');

/** The response head, written to the socket as is: Fastify's reply is hijacked and Node's response never written. */
function head(requestId: string, chunked: boolean): string {
  return [
    'HTTP/1.1 200 OK',
    `date: ${new Date().toUTCString()}`,
    'content-type: text/event-stream; charset=utf-8',
    'cache-control: no-store',
    'x-content-type-options: nosniff',
    // Tells nginx-style proxies not to buffer the stream.
    'x-accel-buffering: no',
    // Hijacked: the request log's onRequest header is not sent, so the id (request-id.ts: header-safe) is echoed here.
    `x-request-id: ${requestId}`,
    // An event stream's connection is never reused: closing it with the stream lets shutdown finish at once.
    'connection: close',
    ...(chunked ? ['transfer-encoding: chunked'] : []),
    '\r\n',
  ].join('\r\n');
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
 *
 * A broadcast is serialised once into one Buffer, which every socket is given as is (Node keeps one
 * copy for all the streams that queue it). Heartbeats, the budget, the write timeout and the streams'
 * age are one shared timer's work.
 */
const events: FastifyPluginAsyncZod<EventsOptions> = async (fastify, options) => {
  const streams = new Map<Socket, Stream>();
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

  function write(socket: Socket, stream: Stream, message: Frames): void {
    socket.write(stream.chunked ? message.chunked : message.plain);
    if (socket.writableLength > MAX_BUFFERED_BYTES) shed(socket, stream, 'client_buffer');
  }

  function shed(socket: Socket, stream: Stream, reason: (typeof SHED_REASONS)[number]): void {
    fastify.metrics.sseShed.inc({ reason });
    socket.destroy();
    remove(socket, stream);
  }

  /**
   * Ends a stream cleanly: the browser resumes it after its `retry:` delay, maybe on another pod. A
   * client behind on its reads is cut instead (it resumes by Last-Event-ID): waiting for it to drain
   * would hold the socket, and the server's close, for as long as it does not read.
   */
  function end(socket: Socket, stream: Stream): void {
    remove(socket, stream);
    if (stream.chunked && socket.writableLength === 0) socket.write(LAST_CHUNK);
    if (socket.writableLength === 0) socket.destroySoon();
    else socket.destroy();
  }

  /**
   * Ends the streams past their age, drops those that stopped draining and then, while the unsent
   * bytes of the rest are over the pod's budget, the largest backlogs.
   */
  function sweep(): void {
    const now = Date.now();
    const backlogs: { socket: Socket; stream: Stream; backlog: number }[] = [];
    for (const [socket, stream] of streams) {
      if (stream.pending) continue;
      const backlog = socket.writableLength;
      if (backlog === 0) stream.drainedAt = now;
      else if (now - stream.drainedAt > options.writeTimeoutMs) {
        shed(socket, stream, 'stalled');
        continue;
      }
      if (now >= stream.endsAt) end(socket, stream);
      else backlogs.push({ socket, stream, backlog });
    }
    for (const { socket, stream } of overBudget(backlogs, options.bufferBudgetBytes)) shed(socket, stream, 'budget');
  }

  function add(socket: Socket, stream: Stream): void {
    streams.set(socket, stream);
    socket.on('close', onClose);
    perAddress.set(stream.address, (perAddress.get(stream.address) ?? 0) + 1);
    fastify.metrics.sseClients.set(streams.size);
  }

  /** The one listener of every stream's socket: `this` says which. */
  function onClose(this: Socket): void {
    const stream = streams.get(this);
    if (stream) remove(this, stream);
  }

  function remove(socket: Socket, stream: Stream): void {
    if (streams.get(socket) !== stream) return;
    streams.delete(socket);
    socket.removeListener('close', onClose);
    const left = (perAddress.get(stream.address) ?? 1) - 1;
    if (left > 0) perAddress.set(stream.address, left);
    else perAddress.delete(stream.address);
    fastify.metrics.sseClients.set(streams.size);
  }

  const unsubscribe = fastify.feed.subscribe((tweets) => {
    // Listeners are called as the poller's read returns: the broadcast is timed from here.
    const readAt = performance.now();
    render(tweets).then(
      (events) => {
        const message = frames(events.map((event) => event.text).join(''));
        for (const [socket, stream] of streams) {
          if (stream.pending) stream.pending.push(...events);
          else if (stream.resumed === null) write(socket, stream, message);
          else sendNotResumed(socket, stream, events);
        }
        fastify.metrics.sseBroadcast.observe((performance.now() - readAt) / 1000);
      },
      (error: unknown) => fastify.log.error({ err: error }, 'events: cannot render new tweets'),
    );
  });

  /** The events the stream did not get from its resume; each resumed tweet is skipped once. */
  function sendNotResumed(socket: Socket, stream: Stream, events: Event[]): void {
    const resumed = stream.resumed;
    const text = events
      .filter((event) => !resumed?.delete(event.tweetId))
      .map((event) => event.text)
      .join('');
    if (resumed?.size === 0) stream.resumed = null;
    // An empty chunk would end the body.
    if (text !== '') write(socket, stream, frames(text));
  }

  // One timer for all streams: comments keep proxies and load balancers from closing idle ones.
  const heartbeat = setInterval(() => {
    for (const [socket, stream] of streams) if (!stream.pending) write(socket, stream, HEARTBEAT);
  }, options.heartbeatMs);
  const sweeping = setInterval(sweep, Math.min(SWEEP_MS, options.writeTimeoutMs / 4));

  fastify.addHook('preClose', async () => {
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(sweeping);
    // Streams still resuming are ended by their handler, which finds them gone.
    for (const [socket, stream] of streams) {
      if (stream.pending) remove(socket, stream);
      else end(socket, stream);
    }
    perAddress.clear();
    fastify.metrics.sseClients.set(0);
  });

  fastify.get('/events', { schema: { querystring: Query }, config: { rateLimit: {} } }, async (request, reply) => {
    const lastEventId = request.headers['last-event-id'];
    const since =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? parseCursor(lastEventId, 'Last-Event-ID')
        : parseCursor(request.query.since, 'since');

    if (streams.size >= options.maxStreams || (perAddress.get(request.ip) ?? 0) >= options.maxStreamsPerClient) {
      fastify.metrics.sseRejected.inc();
      reply.code(503).header('retry-after', FULL_RETRY_AFTER_SECONDS);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Too many open event streams; try again later.',
      };
    }

    const socket = request.raw.socket;
    // A request pipelined after a stream on its connection: the connection carries one stream.
    if (streams.has(socket)) {
      reply.hijack();
      socket.destroy();
      return;
    }
    const chunked = request.raw.httpVersion !== '1.0';
    // Fastify's HEAD route for this GET: the head a stream gets, and no body (Node's response would drop it; the socket does not).
    if (request.method === 'HEAD') {
      reply.hijack();
      socket.write(head(request.id, chunked));
      socket.destroySoon();
      return;
    }
    const stream: Stream = {
      address: request.ip,
      chunked,
      pending: [],
      resumed: null,
      drainedAt: Date.now(),
      endsAt: Date.now() + options.maxAgeMs * (1 + Math.random() / 10),
    };
    add(socket, stream);

    let missed: Event[];
    try {
      missed = since ? await render(await fastify.feed.newerThan(since, FANOUT_LIMIT)) : [];
    } catch (error) {
      remove(socket, stream);
      throw error;
    }

    reply.hijack();
    // The client left, or the server is closing, while the resume was read.
    if (streams.get(socket) !== stream) {
      socket.destroy();
      return;
    }
    const queued = stream.pending ?? [];
    stream.pending = null;
    stream.drainedAt = Date.now();
    if (missed.length > 0) stream.resumed = new Set(missed.map((event) => event.tweetId));
    socket.cork();
    socket.write(head(request.id, stream.chunked));
    write(socket, stream, frames(`retry: ${RECONNECT_MS}\n\n${missed.map((event) => event.text).join('')}`));
    sendNotResumed(socket, stream, queued);
    socket.uncork();
  });
};

export default events;
