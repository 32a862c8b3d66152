import type { FastifyInstance } from 'fastify';
import { themeCss, themePath } from '../theme.js';

/** The served region's theme (from its record in libs/regions); none locally, where app.css's defaults apply. */
export default async function theme(fastify: FastifyInstance) {
  const { name, theme } = fastify.region;
  if (theme === null) return;
  const css = themeCss(theme);
  fastify.get(themePath(name), async (_request, reply) => {
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600');
    return css;
  });
}
