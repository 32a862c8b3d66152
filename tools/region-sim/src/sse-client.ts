import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';

/** How long a client waits after a refused stream (503 with Retry-After) before asking again. */
const REJECTED_WAIT_MS = 1_000;

/**
 * One live client on a region's `/events`, as a browser's EventSource is: it reconnects after a drop and
 * resumes with `Last-Event-ID`. Records each post it got (the card's id) and when, and how its
 * connections went (`held`, `reconnects`, `rejected`). `dispatcher` picks how it connects (e.g. an
 * undici Agent bound to a source address); undici's global one by default.
 */
export class SseClient {
  readonly arrivals: { id: string; createdAt: number; arrivedAt: number }[] = [];
  /** Whether a stream is open now. */
  held = false;
  /** Streams opened after the first. */
  reconnects = 0;
  /** Answers other than 200 (the frontend's cap answers 503 with Retry-After). */
  rejected = 0;
  private opened = 0;
  private readonly abort = new AbortController();
  private lastEventId: string | null = null;

  constructor(
    readonly region: string,
    url: string,
    private readonly dispatcher?: Dispatcher,
  ) {
    void this.read(url);
  }

  has(id: string): boolean {
    return this.arrivals.some((arrival) => arrival.id === id);
  }

  /** Latencies of posts published in [from, to). */
  latencies(from: number, to: number): number[] {
    return this.arrivals.filter((a) => a.createdAt >= from && a.createdAt < to).map((a) => a.arrivedAt - a.createdAt);
  }

  close(): void {
    this.abort.abort();
  }

  private async read(url: string): Promise<void> {
    while (!this.abort.signal.aborted) {
      let waitMs = 200;
      try {
        const headers: Record<string, string> = this.lastEventId ? { 'last-event-id': this.lastEventId } : {};
        const response = await request(`${url}/events`, {
          headers,
          signal: this.abort.signal,
          ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
        });
        if (response.statusCode !== 200) {
          this.rejected += 1;
          waitMs = REJECTED_WAIT_MS;
          await response.body.dump();
          continue;
        }
        if (this.opened++ > 0) this.reconnects += 1;
        this.held = true;
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          const events = buffer.split('\n\n');
          buffer = events.pop() ?? '';
          const arrivedAt = Date.now();
          for (const event of events) this.take(event, arrivedAt);
        }
      } catch {
        // Reconnects below, as EventSource does.
      } finally {
        this.held = false;
        await sleep(waitMs);
      }
    }
  }

  private take(event: string, arrivedAt: number): void {
    const data = /^data: (.*)$/m.exec(event)?.[1];
    if (!data) return;
    const { html, createdAt } = JSON.parse(data) as { html: string; createdAt: string };
    const id = /id="tweet-(\d+)"/.exec(html)?.[1] ?? '';
    this.arrivals.push({ id, createdAt: Date.parse(createdAt), arrivedAt });
    this.lastEventId = /^id: (.*)$/m.exec(event)?.[1] ?? this.lastEventId;
  }
}
