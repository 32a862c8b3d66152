import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import { REGIONS } from '@kubeonazure/regions';
import fp from 'fastify-plugin';
import { themePath } from '../../theme.js';
import { VIEWS_DIR } from '../../paths.js';
import type { ServiceRegion } from '@kubeonazure/service-kit';

/**
 * Eta templates from views/ (layout and partials), compiled once; `<%= %>` escapes everything.
 * Every template sees `it.region` for the banner and the theme.
 */
export default fp(
  async (fastify: FastifyInstance, options: { region: ServiceRegion }) => {
    await fastify.register(view, {
      engine: { eta: new Eta({ views: VIEWS_DIR, cache: true }) },
      root: VIEWS_DIR,
      production: true,
      // `regions` (the Azure display names of every region) for the footer, from the one region list;
      // `themeHref` the served region's theme stylesheet (routes/theme.ts), none locally.
      defaultContext: {
        region: options.region,
        regions: REGIONS.map((region) => region.displayName),
        themeHref: options.region.theme === null ? null : themePath(options.region.name),
      },
    });
  },
  { name: 'view' },
);
