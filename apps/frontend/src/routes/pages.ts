import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { exactUtc, relativeTime } from '@kubeonazure/relative-time';
import { encodeCursor, type TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toCard } from '../cards.js';
import { PAGE_SIZE, parseCursor } from '../paging.js';

/** How long the rendered newest page is reused: relative times stay within a second of true. */
const RENDERED_PAGE_TTL_MS = 1000;

const compress = promisify(gzip);

const Query = z.object({ before: z.string().max(200).optional() });

const pages: FastifyPluginAsyncZod = async (fastify) => {
  // The newest page as sent, plain and gzipped once per render: a request then costs no
  // rendering, no UTF-8 encoding and no compression, and browsers get a tenth of the bytes.
  let rendered: { page: TweetDocument[]; body: Buffer; gzipped: Buffer; until: number } | null = null;

  /** `newest` feeds the freshness line: null when the replica is empty, undefined when unknown. */
  async function render(
    tweets: TweetDocument[],
    options: { newest: TweetDocument | null | undefined; olderCursor: string | null; firstPage: boolean },
  ) {
    const now = new Date();
    return fastify.view('index', {
      title: `Tweets · ${fastify.region.label}`,
      cards: tweets.map((tweet) => toCard(tweet, now)),
      firstPage: options.firstPage,
      olderCursor: options.olderCursor,
      newest: options.newest
        ? {
            iso: options.newest.created_at.toISOString(),
            utc: exactUtc(options.newest.created_at),
            relative: relativeTime(options.newest.created_at, now),
          }
        : options.newest,
    });
  }

  // The newest page costs nothing (served from memory); an older one is a query, so it is rate limited.
  const olderPagesOnly = { allowList: (request: { query: unknown }) => !(request.query as { before?: string }).before };
  fastify.get(
    '/',
    { schema: { querystring: Query }, config: { html: true, rateLimit: olderPagesOnly } },
    async (request, reply) => {
      reply.type('text/html; charset=utf-8');
      const before = parseCursor(request.query.before, 'before');
      if (before) {
        const { tweets, nextCursor } = await fastify.tweets.latest({ limit: PAGE_SIZE, before });
        const newestPage = fastify.feed.newestPage();
        return render(tweets, {
          newest: newestPage ? (newestPage[0] ?? null) : undefined,
          olderCursor: nextCursor,
          firstPage: false,
        });
      }

      const page = await fastify.feed.currentPage();
      if (rendered?.page !== page || rendered.until < Date.now()) {
        // A full page means older tweets exist (at worst the "Older" page says there are none).
        const last = page.at(-1);
        const olderCursor = page.length === PAGE_SIZE && last ? encodeCursor(last) : null;
        const body = Buffer.from(await render(page, { newest: page[0] ?? null, olderCursor, firstPage: true }));
        rendered = { page, body, gzipped: await compress(body), until: Date.now() + RENDERED_PAGE_TTL_MS };
      }
      reply.header('vary', 'accept-encoding');
      // Browsers all take gzip; curl and load tools only when asked.
      if (request.encoding(['gzip', 'identity']) !== 'gzip') return rendered.body;
      reply.header('content-encoding', 'gzip');
      return rendered.gzipped;
    },
  );
};

export default pages;
