export interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  /** A comment line (heartbeat). */
  comment?: string;
}

/** Reads a text/event-stream body event by event (fields per the WHATWG spec, enough for tests). */
export class EventReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next event, or null when the stream ends. */
  async next(): Promise<ServerSentEvent | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parse(block);
      }
      const { done, value } = await this.reader.read();
      if (done) return null;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next event of type `event`, skipping others (retry, heartbeats). */
  async nextOf(event: string): Promise<ServerSentEvent | null> {
    for (;;) {
      const next = await this.next();
      if (next === null || next.event === event) return next;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parse(block: string): ServerSentEvent {
  const event: ServerSentEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      event.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = line.slice(0, colon) as 'id' | 'event' | 'data' | 'retry';
    const value = line.slice(colon + 1).replace(/^ /, '');
    event[field] = event[field] === undefined ? value : `${event[field]}\n${value}`;
  }
  return event;
}
