import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from '@kubeonazure/service-kit';
import type { Intake } from '../pipeline/intake.js';
import type { Sleep, Source } from './source.js';

export const REPLAY_TIMESTAMPS = ['as-recorded', 'shifted-to-now'] as const;

export interface ReplaySourceOptions {
  file: string;
  /** Messages per second at most; 0 plays as fast as the pipeline takes them. */
  ratePerSecond: number;
  /** Start over at the end of the file instead of finishing. */
  loop: boolean;
  /**
   * `shifted-to-now` moves every post's `created_at` by one offset, so the file plays like a live
   * stream: the first SHIFT_BACKLOG posts are already in the past, each later one arrives when its
   * shifted time comes, at the spacing it was recorded with.
   */
  timestamps: (typeof REPLAY_TIMESTAMPS)[number];
}

/** Posts that are already "in the past" when a shifted replay starts, so the first page is full. */
export const SHIFT_BACKLOG = 20;

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
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<void> {
    const { signal } = this.stopping;
    const pauseMs = this.options.ratePerSecond > 0 ? 1000 / this.options.ratePerSecond : 0;
    do {
      const shiftMs = this.options.timestamps === 'shifted-to-now' ? await this.shiftToNow() : 0;
      const lines = createInterface({ input: createReadStream(this.options.file), crlfDelay: Infinity });
      this.connected = true;
      let count = 0;
      for await (const line of lines) {
        if (signal.aborted) break;
        if (shiftMs !== 0) {
          const due = (createdAtOf(line) ?? 0) + shiftMs - this.now();
          if (due > 0) await this.sleep(due, signal);
          if (signal.aborted) break;
        }
        await this.intake.fromLine(shiftMs === 0 ? line : shiftLine(line, shiftMs), signal);
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

  /** The offset that puts the post SHIFT_BACKLOG lines in (or the last one) at now. */
  private async shiftToNow(): Promise<number> {
    const lines = createInterface({ input: createReadStream(this.options.file), crlfDelay: Infinity });
    let anchor: number | null = null;
    let seen = 0;
    for await (const line of lines) {
      const createdAt = createdAtOf(line);
      if (createdAt === null) continue;
      anchor = createdAt;
      if (++seen > SHIFT_BACKLOG) break;
    }
    lines.close();
    return anchor === null ? 0 : this.now() - anchor;
  }
}

interface StreamLine {
  data?: { created_at?: unknown };
}

function parse(line: string): StreamLine | null {
  try {
    const message: unknown = JSON.parse(line);
    return typeof message === 'object' && message !== null ? (message as StreamLine) : null;
  } catch {
    return null;
  }
}

/** The post's `created_at` in ms, or null for a line without one (malformed lines stay for the intake to count). */
export function createdAtOf(line: string): number | null {
  const createdAt = parse(line)?.data?.created_at;
  const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
}

/** The line with its post's `created_at` moved by `shiftMs`; lines without one pass unchanged. */
export function shiftLine(line: string, shiftMs: number): string {
  const message = parse(line);
  const createdAt = createdAtOf(line);
  if (message?.data === undefined || createdAt === null) return line;
  return JSON.stringify({
    ...message,
    data: { ...message.data, created_at: new Date(createdAt + shiftMs).toISOString() },
  });
}
