import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { encodeCursor, type TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import { toCard } from '../cards.js';
import { PAGE_SIZE, parseCursor } from '../paging.js';
import { exactUtc, relativeTime } from '../relative-time.js';

/** How long the rendered newest page is reused: relative times stay within a second of true. */
const RENDERED_PAGE_TTL_MS = 1000;

const querystring = Type.Object({ before: Type.Optional(Type.String({ maxLength: 200 })) });

export default async function pages(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  let rendered: { page: TweetDocument[]; html: string; until: number } | null = null;

  async function render(tweets: TweetDocument[], options: { newest: TweetDocument | undefined; firstPage: boolean }) {
    const now = new Date();
    const last = tweets.at(-1);
    return fastify.view('index', {
      title: `Tweets · ${fastify.region.label}`,
      cards: tweets.map((tweet) => toCard(tweet, now)),
      firstPage: options.firstPage,
      olderCursor: tweets.length === PAGE_SIZE && last ? encodeCursor(last) : null,
      newest: options.newest && {
        iso: options.newest.created_at.toISOString(),
        utc: exactUtc(options.newest.created_at),
        relative: relativeTime(options.newest.created_at, now),
      },
    });
  }

  fastify.get('/', { schema: { querystring }, config: { html: true } }, async (request, reply) => {
    reply.type('text/html; charset=utf-8');
    const before = parseCursor(request.query.before, 'before');
    if (before) {
      const { tweets } = await fastify.tweets.latest({ limit: PAGE_SIZE, before });
      return render(tweets, { newest: fastify.feed.newestPage()?.[0], firstPage: false });
    }

    // The newest page comes from the poller's shared copy; before its first read, from the database.
    const page = fastify.feed.newestPage();
    if (page === null) {
      const { tweets } = await fastify.tweets.latest({ limit: PAGE_SIZE });
      return render(tweets, { newest: tweets[0], firstPage: true });
    }
    if (rendered?.page !== page || rendered.until < Date.now()) {
      rendered = { page, html: await render(page, { newest: page[0], firstPage: true }), until: Date.now() + RENDERED_PAGE_TTL_MS };
    }
    return rendered.html;
  });
}
