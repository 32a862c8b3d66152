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

  it('right-aligns the columns it is told to', () => {
    expect(
      renderTable(
        ['REGION', 'P50 MS', 'POSTS'],
        [
          ['westus', '7', '160'],
          ['uksouth', '152', '9'],
        ],
        ['left', 'right', 'right'],
      ),
    ).toBe(['REGION   P50 MS  POSTS', 'westus        7    160', 'uksouth     152      9'].join('\n'));
  });
});
