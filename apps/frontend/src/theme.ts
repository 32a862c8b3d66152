import type { Theme } from '@kubeonazure/regions';

/**
 * The served region's theme as a stylesheet: app.css draws the banner from these custom properties
 * and has no rule per region. Served from this origin (`style-src 'self'`), not inline.
 */
export function themeCss(theme: Theme): string {
  const lines = [
    ':root {',
    `  --accent: ${theme.accent};`,
    `  --sky-top: ${theme.skyTop};`,
    `  --sky-bottom: ${theme.skyBottom};`,
    `  --sun: ${theme.sun};`,
    `  --skyline: ${theme.skyline};`,
    '}',
  ];
  if (theme.shape) lines.push(`.skyline {`, `  --shape: polygon(${theme.shape.join(', ')});`, '}');
  return `${lines.join('\n')}\n`;
}

/** Where the served region's stylesheet is: named by region, so a browser's cached copy never themes another region's page. */
export function themePath(regionName: string): string {
  return `/themes/${regionName}.css`;
}
