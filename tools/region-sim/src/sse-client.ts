import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, fetch } from 'undici';

/**
 * One live client on a region's `/events`, as a browser's EventSource is: it reconnects after a drop and
 * resumes with `Last-Event-ID`. Records each post it got (the card's id) and when.
 */
export class SseClient {
  readonly arrivals: { id: string; createdAt: number; arrivedAt: number }[] = [];
  private readonly abort = new AbortController();
  private lastEventId: string | null = null;

  /** `dispatcher`: the simulation's client (`RegionSet.client`), which trusts its CA. */
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
      try {
        const headers: Record<string, string> = this.lastEventId ? { 'last-event-id': this.lastEventId } : {};
        const response = await fetch(`${url}/events`, {
          headers,
          signal: this.abort.signal,
          dispatcher: this.dispatcher,
        });
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body ?? []) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          const events = buffer.split('\n\n');
          buffer = events.pop() ?? '';
          const arrivedAt = Date.now();
          for (const event of events) this.take(event, arrivedAt);
        }
      } catch {
        // Reconnects below, as EventSource does.
      }
      await sleep(200);
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
