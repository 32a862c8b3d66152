import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Intake } from '../pipeline/intake.js';
import type { Sleep, Source } from './source.js';

export interface ReplaySourceOptions {
  file: string;
  /** Messages per second; 0 plays as fast as the pipeline takes them. */
  ratePerSecond: number;
  /** Start over at the end of the file instead of finishing. */
  loop: boolean;
}

/**
 * Plays a JSONL file of X API v2 stream messages into the pipeline. Waits while the queue is full,
 * so even an unthrottled replay never drops a line. Without `loop` it finishes at the end of the file.
 */
export class ReplaySource implements Source {
  private readonly stopping = new AbortController();
  connected = false;

  constructor(
    private readonly options: ReplaySourceOptions,
    private readonly intake: Intake,
    private readonly log: Logger,
    private readonly sleep: Sleep,
  ) {}

  async run(): Promise<void> {
    const { signal } = this.stopping;
    const pauseMs = this.options.ratePerSecond > 0 ? 1000 / this.options.ratePerSecond : 0;
    do {
      const lines = createInterface({ input: createReadStream(this.options.file), crlfDelay: Infinity });
      this.connected = true;
      let count = 0;
      for await (const line of lines) {
        if (signal.aborted) break;
        await this.intake.fromLine(line);
        count++;
        if (pauseMs > 0) await this.sleep(pauseMs, signal);
      }
      lines.close();
      this.log.info({ lines: count, loop: this.options.loop }, 'replay reached the end of the file');
    } while (this.options.loop && !signal.aborted);
  }

  stop(): void {
    this.stopping.abort();
  }
}
