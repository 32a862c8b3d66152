import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@kubeonazure/service-kit';
import { ApiResponseError, ETwitterStreamEvent, type TweetStream } from 'twitter-api-v2';
import type { Metrics } from '../ops/metrics.js';
import type { Intake } from '../pipeline/intake.js';
import type { GapFill } from './gap-fill.js';
import { nextReconnect, type DisconnectReason, type ReconnectState } from './reconnect-policy.js';
import { diffRules, wantedRules, type StreamRule } from './rules.js';
import type { NewestStoredId } from './search.js';
import type { Sleep, Source } from './source.js';
import { TWEET_QUERY, type XApiClient } from './x-client.js';

export interface StreamSourceOptions {
  track: readonly string[];
  /** Silence (no post, no keep-alive) after which the connection counts as dead. */
  stallTimeoutMs: number;
  /** Minutes of posts X resends on connect (`backfill_minutes`, 0–5; plans without it ignore it); 0 asks none. */
  backfillMinutes: number;
  /**
   * With the ingest lease, whether it is still valid, asked before connecting and before every message:
   * once it is over the source closes its connection unread and stops.
   */
  lease?: { valid(): boolean };
}

/**
 * The X API v2 filtered stream. Syncs the rules, then keeps one connection open, reconnecting per
 * X's policy (reconnect-policy.ts) for as long as the process runs. Before each connect it notes the
 * newest post stored or received; once connected, the gap fill fetches what came after it through
 * recent search, so a disconnect, a restart or a rollout loses nothing the search still has. Posts
 * dropped on a full queue are filled the same way, from the newest post known before the first drop,
 * as soon as the queue takes posts again.
 */
export class StreamSource implements Source {
  private readonly stopping = new AbortController();
  private current: TweetStream | null = null;
  private backoff: ReconnectState | null = null;
  private rulesSynced = false;
  /** Whether a connection of this source was ever accepted (see reconnect-policy.ts on 429s before that). */
  private everConnected = false;
  /** The id of the newest post this process took from the stream. */
  private newestSeen: string | null = null;
  /** Where the oldest gap not yet handed to a fill starts (`id` null: unknown or nothing stored); null when none. */
  private gapSince: GapStart | null = null;
  /** The gap start noted for the current connection. */
  private connectedFrom: GapStart | null = null;
  /** Where the posts dropped on a full queue start (the newest known before the first drop); null when none. */
  private dropSince: GapStart | null = null;
  /** The start of the gap the next, not yet started, fill covers. */
  private queuedSince: GapStart | null = null;
  private filling: Promise<void> = Promise.resolve();
  connected = false;

  constructor(
    private readonly client: XApiClient,
    private readonly options: StreamSourceOptions,
    private readonly intake: Intake,
    private readonly gapFill: GapFill,
    private readonly newestStoredId: NewestStoredId,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly sleep: Sleep,
  ) {}

  async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const reason = await this.connectAndConsume();
      if (signal.aborted) break;
      this.backoff = nextReconnect(this.backoff, reason, !this.everConnected);
      this.metrics.reconnects.inc({ reason });
      this.log.warn({ reason, delayMs: this.backoff.delayMs }, 'stream disconnected; reconnecting');
      await this.sleep(this.backoff.delayMs, signal);
    }
    await this.filling;
  }

  stop(): void {
    this.stopping.abort();
    this.current?.close();
  }

  /** One connection: resolves with why it ended (or failed to start). */
  private async connectAndConsume(): Promise<DisconnectReason> {
    const backfill = this.options.backfillMinutes > 0 ? { backfill_minutes: this.options.backfillMinutes } : {};
    const stream = this.client.searchStream({ ...TWEET_QUERY, ...backfill, autoConnect: false });
    let reason: DisconnectReason = 'network';
    const ended = new Promise<DisconnectReason>((resolve) => {
      stream.on(ETwitterStreamEvent.Connected, () => {
        // The library decodes each chunk on its own, which garbles a character split across chunks.
        (stream as unknown as { res: Readable }).res.setEncoding('utf8');
      });
      stream.on(ETwitterStreamEvent.Data, (message: unknown) => {
        if (this.leaseOver()) return;
        this.healthy();
        this.take(message);
      });
      stream.on(ETwitterStreamEvent.DataKeepAlive, () => this.healthy());
      stream.on(ETwitterStreamEvent.DataError, (message: { errors?: Record<string, unknown>[] }) => {
        this.log.warn({ errors: message.errors }, 'X sent an error message in the stream');
        // X closes the connection itself after the notice; what it still writes before that is read
        // and stored. Should the close not come, the stall timeout ends the connection.
        if (message.errors?.some(isDisconnectNotice)) reason = 'operational-disconnect';
      });
      stream.on(ETwitterStreamEvent.TweetParseError, (error: Error) => this.intake.malformed(error.message, error));
      stream.on(ETwitterStreamEvent.ConnectionLost, () => {
        if (reason !== 'operational-disconnect') reason = 'stall';
      });
      stream.on(ETwitterStreamEvent.ConnectionError, (error: Error) =>
        this.log.info({ err: error }, 'stream connection error'),
      );
      // Every failure is also re-emitted as a generic error event; the specific ones above handle them.
      stream.on(ETwitterStreamEvent.Error, () => undefined);
      stream.on(ETwitterStreamEvent.ConnectionClosed, () => resolve(reason));
    });
    try {
      await this.syncRules();
      // Noted before connecting: nothing this connection delivers can be mistaken for the gap's start.
      this.gapSince ??= await this.gapStart();
      if (this.dropSince) this.gapSince = olderStart(this.gapSince, this.dropSince);
      this.dropSince = null;
      this.connectedFrom = this.gapSince;
      // stop() during the rule sync or the read, or the lease over meanwhile: no connection.
      if (this.stopping.signal.aborted || this.leaseOver()) return 'network';
      const connecting = stream.connect({ autoReconnect: false, keepAliveTimeout: this.options.stallTimeoutMs });
      if (!(await this.settlesInTime(connecting))) {
        // No response headers in time (or stopping): give up on this attempt, close it should it still come.
        connecting.then(
          () => stream.close(),
          () => undefined,
        );
        return 'stall';
      }
    } catch (error) {
      const failure = classify(error);
      this.log.warn(
        { reason: failure, status: (error as { code?: unknown }).code, err: error },
        'stream connect failed',
      );
      return failure;
    }
    this.current = stream;
    this.connected = true;
    this.everConnected = true;
    this.log.info('stream connected');
    this.scheduleGapFill();
    // stop() may have come between the connect and `current` being set.
    if (this.stopping.signal.aborted) stream.close();
    const endReason = await ended;
    this.connected = false;
    this.current = null;
    return endReason;
  }

  /**
   * Whether the lease this source streams under is over: then it stops (closing the connection) before
   * reading anything more, whatever the keeper's timer has not yet done.
   */
  private leaseOver(): boolean {
    if (this.options.lease?.valid() ?? true) return false;
    if (!this.stopping.signal.aborted) {
      this.log.warn('ingest lease over; closing the stream without reading on');
      this.stop();
    }
    return true;
  }

  /** One message from the stream: a queued post moves `newestSeen`; the first one after drops fills them. */
  private take(message: unknown): void {
    const taken = this.intake.fromStream(message);
    if (!taken) return;
    if ('dropped' in taken) {
      this.dropSince ??= { id: newer(this.newestSeen, this.connectedFrom?.id ?? null) };
      return;
    }
    this.newestSeen = newer(taken.queued, this.newestSeen);
    if (!this.dropSince) return;
    this.gapSince = this.gapSince ? olderStart(this.gapSince, this.dropSince) : this.dropSince;
    this.dropSince = null;
    this.scheduleGapFill();
  }

  /**
   * The newest post stored or received: where the gap after it starts. When the database cannot be
   * read and nothing was received, the start is unknown (`id` null): the fill takes the newest posts.
   */
  private async gapStart(): Promise<GapStart> {
    try {
      return { id: newer(await this.newestStoredId(), this.newestSeen) };
    } catch (error) {
      this.log.warn(
        { err: error, newestReceived: this.newestSeen },
        'cannot read the newest stored post; the gap starts at the newest received (none: the newest posts)',
      );
      return { id: this.newestSeen };
    }
  }

  /** One gap fill at a time: connects while one runs are covered by one more after it, from the oldest start. */
  private scheduleGapFill(): void {
    const since = this.gapSince;
    this.gapSince = null;
    if (!since) return;
    if (this.queuedSince) {
      this.queuedSince = olderStart(this.queuedSince, since);
      return;
    }
    this.queuedSince = since;
    this.filling = this.filling.then(async () => {
      const start = this.queuedSince ?? since;
      this.queuedSince = null;
      // A fill that fails is retried once by GapFill and then given up, so later fills start from their own gaps.
      await this.gapFill.fill(start.id, this.stopping.signal);
    });
  }

  /** Whether `connecting` settles before the stall timeout and before stop(); rethrows its failure. */
  private async settlesInTime(connecting: Promise<unknown>): Promise<boolean> {
    const timer = new AbortController();
    const signal = AbortSignal.any([timer.signal, this.stopping.signal]);
    const timedOut = delay(this.options.stallTimeoutMs, true, { signal }).catch(() => true);
    try {
      return !(await Promise.race([connecting.then(() => false), timedOut]));
    } finally {
      timer.abort();
    }
  }

  /** A connection that delivers data ends the failure streak: the next drop reconnects at once. */
  private healthy(): void {
    this.backoff = null;
  }

  private async syncRules(): Promise<void> {
    if (this.rulesSynced) return;
    const existing: StreamRule[] = (await this.client.streamRules()).data ?? [];
    const changes = diffRules(existing, wantedRules(this.options.track));
    if (changes.delete.length > 0) {
      await this.client.updateStreamRules({ delete: { ids: changes.delete.map((rule) => rule.id) } });
    }
    if (changes.add.length > 0) await this.client.updateStreamRules({ add: changes.add });
    this.log.info(
      {
        added: changes.add.map((rule) => rule.value),
        deleted: changes.delete.map((rule) => rule.value),
        kept: changes.keep.length,
      },
      'stream rules synced',
    );
    this.rulesSynced = true;
  }
}

/** Where a gap starts: after the post `id`, or (null) unknown or nothing stored: the fill takes the newest posts. */
interface GapStart {
  id: string | null;
}

function olderStart(a: GapStart, b: GapStart): GapStart {
  if (a.id === null || b.id === null) return { id: null };
  return BigInt(a.id) <= BigInt(b.id) ? a : b;
}

/** The newer of two post ids (X ids grow with time; compared as numbers, they exceed 2^53). */
function newer(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return BigInt(a) >= BigInt(b) ? a : b;
}

function classify(error: unknown): DisconnectReason {
  if (!(error instanceof ApiResponseError)) return 'network';
  if (error.code !== 429) return 'http';
  const data = error.data as { connection_issue?: unknown } | undefined;
  return data?.connection_issue === 'TooManyConnections' ? 'too-many-connections' : 'rate-limit';
}

function isDisconnectNotice(problem: Record<string, unknown>): boolean {
  return [problem.title, problem.type, problem.disconnect_type].some(
    (field) => typeof field === 'string' && /disconnect/i.test(field),
  );
}
