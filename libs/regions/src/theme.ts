import { z } from 'zod';

const colour = z.string().regex(/^#[0-9a-f]{6}$/, 'a colour is #rrggbb');
/** One vertex of a CSS polygon(): `x y`, each a number or a percentage. */
const vertex = z.string().regex(/^\d+(\.\d+)?%? \d+(\.\d+)?%?$/, 'a vertex is "x y" (numbers or percentages)');

/** What a record may override; each field left out is derived. */
export const themeOverrideSchema = z.strictObject({
  accent: colour.optional(),
  skyTop: colour.optional(),
  skyBottom: colour.optional(),
  sun: colour.optional(),
  skyline: colour.optional(),
  /** The skyline's silhouette, a polygon over the banner's bottom strip; the stylesheet has a default. */
  shape: z.array(vertex).min(3).optional(),
});

/** The banner's look for one region: CSS colours and, optionally, its own skyline. */
export interface Theme {
  accent: string;
  skyTop: string;
  skyBottom: string;
  sun: string;
  skyline: string;
  shape?: string[];
}

/** FNV-1a: a stable, well-spread number from a name, so each region keeps its hue across releases. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (const char of text) value = Math.imul(value ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return value;
}

/** A theme from the region's name alone: one hue for sky, accent and skyline, a warm sun. */
export function derivedTheme(name: string): Theme {
  const hue = hash(name) % 360;
  return {
    accent: `hsl(${hue} 75% 35%)`,
    skyTop: `hsl(${hue} 70% 14%)`,
    skyBottom: `hsl(${hue} 65% 48%)`,
    sun: `hsl(${(hue + 40) % 360} 95% 80%)`,
    skyline: `hsl(${hue} 60% 9%)`,
  };
}
