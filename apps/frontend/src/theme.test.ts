import { derivedTheme, REGIONS } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { themeCss, themePath } from './theme.js';

describe('themeCss', () => {
  it('sets the banner’s custom properties, and the skyline when the theme draws one', () => {
    const css = themeCss({ ...derivedTheme('x'), accent: '#123456', shape: ['0 100%', '50% 0', '100% 100%'] });
    expect(css).toContain(':root {\n  --accent: #123456;\n');
    for (const property of ['--sky-top', '--sky-bottom', '--sun', '--skyline'])
      expect(css).toContain(`  ${property}: `);
    expect(css).toContain('.skyline {\n  --shape: polygon(0 100%, 50% 0, 100% 100%);\n}');
  });

  it('leaves the stylesheet’s default skyline to a derived theme', () => {
    expect(themeCss(derivedTheme('brazilsouth'))).not.toContain('--shape');
  });

  it('keeps each listed region’s own look (the colours and skyline app.css had per region)', () => {
    const westus = REGIONS.find((region) => region.name === 'westus')!;
    const css = themeCss(westus.theme);
    expect(css).toContain('--accent: #c2410c;');
    expect(css).toContain('--sky-bottom: #f97316;');
    expect(css).toMatch(/--shape: polygon\(0 100%, 0 70%, 8% 55%, .*, 100% 56%, 100% 100%\);/);
  });
});

describe('themePath', () => {
  it('names the region, so a cached theme never dresses another region’s page', () => {
    expect(themePath('uksouth')).toBe('/themes/uksouth.css');
  });
});
