/** Exit codes: 2 for bad input or setup (nothing was changed), 1 for a failed operation. */
export const EXIT_USAGE = 2;
export const EXIT_FAILED = 1;

/** An error the CLI reports as exactly one line, without a stack trace. */
export class GlobeError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'GlobeError';
    this.exitCode = exitCode;
  }
}
