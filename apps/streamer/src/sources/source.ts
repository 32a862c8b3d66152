/** One way of getting posts into the pipeline (`STREAMER_SOURCE`). */
export interface Source {
  /** Runs until the source is exhausted (a replay file) or `stop` is called. */
  run(): Promise<void>;
  /** Stops taking posts from the source; `run` resolves soon after. */
  stop(): void;
  /** Whether the source is currently delivering (or, for a finished replay, has delivered everything). */
  readonly connected: boolean;
}

/** Waits `ms`; resolves early, without error, when `signal` aborts. Injected so tests need not wait. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
