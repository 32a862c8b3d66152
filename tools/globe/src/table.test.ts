import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    expect(
      renderTable(
        ['REGION', 'OK'],
        [
          ['westus', 'yes'],
          ['southeastasia', ''],
        ],
      ),
    ).toBe(['REGION         OK', 'westus         yes', 'southeastasia'].join('\n'));
  });
});
