export type Align = 'left' | 'right';

/**
 * Rows as a plain-text table, columns padded to their widest cell and two spaces apart, line ends
 * trimmed (like kubectl get). `align` gives a column's alignment (numbers read better right-aligned).
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    widths
      .map((width, column) =>
        align[column] === 'right' ? (cells[column] ?? '').padStart(width) : (cells[column] ?? '').padEnd(width),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
