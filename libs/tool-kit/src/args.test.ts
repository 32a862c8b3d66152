import { describe, expect, it } from 'vitest';
import { strictArgs } from './args.js';

const options = { tag: { type: 'string' }, json: { type: 'boolean' } } as const;
const toError = (message: string) => new RangeError(`${message} (see --help)`);

describe('strictArgs', () => {
  it('parses options and positionals', () => {
    const { values, positionals } = strictArgs(['status', '--tag', 'abc', '--json'], options, toError);
    expect(values).toEqual({ tag: 'abc', json: true });
    expect(positionals).toEqual(['status']);
  });

  it.each([
    [['--verbose'], "Unknown option '--verbose' (see --help)"],
    [['--tag'], "Option '--tag <value>' argument missing (see --help)"],
    // parseArgs says this in three sentences on three lines.
    [['--tag', '-1'], "Option '--tag' argument is ambiguous (see --help)"],
  ])('turns the error for %j into one line', (args, message) => {
    expect(() => strictArgs(args, options, toError)).toThrow(new RangeError(message));
  });
});
