import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/**
 * node:util parseArgs as the CLIs use it (strict, positionals allowed). Its errors run to several
 * sentences, some on several lines; a CLI's errors are one line, so the first sentence is passed to
 * `toError` and what that returns is thrown.
 */
export function strictArgs(args: string[], options: ParseArgsOptionsConfig, toError: (message: string) => Error) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
    throw toError(message);
  }
}
