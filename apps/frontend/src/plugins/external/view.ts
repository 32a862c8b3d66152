import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VIEWS_DIR } from '../../paths.js';
import type { ServedRegion } from '../../regions.js';

/**
 * Eta templates from views/ (layout and partials), compiled once; `<%= %>` escapes everything.
 * Every template sees `it.region` for the banner and the theme.
 */
export default fp(
  async (fastify: FastifyInstance, options: { region: ServedRegion }) => {
    await fastify.register(view, {
      engine: { eta: new Eta({ views: VIEWS_DIR, cache: true }) },
      root: VIEWS_DIR,
      production: true,
      defaultContext: { region: options.region },
    });
  },
  { name: 'view' },
);
