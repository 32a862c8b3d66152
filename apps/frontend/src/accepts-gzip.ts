/**
 * Whether an Accept-Encoding header allows gzip: listed as `gzip` (or `*`) with a q-value
 * above zero. Browsers all send it; curl and load tools only when asked.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const codings = new Map(
    header.split(',').map((part) => {
      const [coding = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return [coding.trim(), q ? Number(q.slice(2)) : 1] as const;
    }),
  );
  const q = codings.get('gzip') ?? codings.get('*');
  return q !== undefined && q > 0;
}
