// npx nx run frontend:bench (its second part) — database commands per second at a region's wire
// front during a rollout's reconnect storm: CLIENTS browsers come back within WINDOW_MS, each asking
// the API's first page and resuming its event stream from the last tweet it saw (most on the first
// page, a fifth older). Before: the same requests answered as main answered them before coalescing,
// one read per request (the API's first page `latest`, a resume `newerThan`), sent through the same
// wire front while the frontend's poller runs. After: the same requests to the built frontend.
import { setTimeout as sleep } from 'node:timers/promises';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import type { Supervised } from '@kubeonazure/tool-kit';
import { connect, encodeCursor, TweetRepository } from '@kubeonazure/tweet-model';
import { makeTweets } from '@kubeonazure/tweet-model/testing';
import { startFrontend, withBenchDatabase } from './kit.ts';

// 5 reconnects a second: what the development database (FerretDB on SQLite, about 80 ms a read, one
// at a time) takes without a backlog, so that every read main sends reaches the front within the
// window. A real storm is larger; the commands per reconnect are what scale.
const CLIENTS = 50;
const WINDOW_MS = 10_000;
const SEEDED = 200;
/** What a resume asked for, as main's events route did. */
const FANOUT_LIMIT = 100;

/** Newest first. */
const seeded = makeTweets(SEEDED);
/** Where client `i` resumes: a tweet on the first page, or for every fifth client one of the 80 below it. */
const since = (i: number) => encodeCursor(seeded[i % 5 === 0 ? 20 + (i % 80) : i % 20]!);

await withBenchDatabase('bench_storm', async ({ db, writer, database }) => {
  const front = await WireFront.start(db.url, { record: true });
  const reader = await connect(front.url, { role: 'reader' });
  let frontend: Supervised | undefined;
  try {
    // Every client below comes from 127.0.0.1.
    const started = await startFrontend(front.url, database, {
      RATE_LIMIT_PER_MINUTE: String(CLIENTS * 10),
      MAX_STREAMS: String(CLIENTS),
      MAX_STREAMS_PER_CLIENT: String(CLIENTS),
    });
    frontend = started.frontend;
    const { origin } = started;

    /**
     * Runs `reconnect(i)` for every client, spread evenly over the window: the database commands that
     * reached the wire front within the window, and per second. Then waits for every client to finish.
     */
    async function storm(reconnect: (i: number) => Promise<unknown>): Promise<{ perSecond: number; commands: number }> {
      const before = front.commands().length;
      const clients = Array.from({ length: CLIENTS }, async (_, i) => {
        await sleep((i * WINDOW_MS) / CLIENTS);
        await reconnect(i);
      });
      await sleep(WINDOW_MS);
      const commands = front.commands().length - before;
      await Promise.all(clients);
      return { commands, perSecond: commands / (WINDOW_MS / 1000) };
    }

    const healthy = () =>
      started.frontend.waitUntil(
        '/healthz 200',
        async () => (await fetch(`${origin}/healthz`).catch(() => null))?.ok === true,
        60_000,
        200,
      );

    await TweetRepository.fromClient(writer, { database }).insertNew(seeded);
    await healthy();
    const failures: string[] = [];
    const ours = await storm(async (i) => {
      const page = await fetch(`${origin}/api/tweets`);
      await page.arrayBuffer();
      const events = await fetch(`${origin}/events?since=${encodeURIComponent(since(i))}`);
      // The resume's first bytes, then the browser goes away.
      if (events.ok) {
        const body = events.body!.getReader();
        await body.read();
        await body.cancel();
      }
      if (!page.ok || !events.ok) failures.push(`${page.status}/${events.status}`);
    });

    await healthy();
    // Every read main would send is sent, however slow the development database gets.
    const repository = TweetRepository.fromClient(reader, { database, maxTimeMS: 60_000 });
    let mainLikeFailures = 0;
    const mainLike = await storm(async (i) => {
      await Promise.all([repository.latest({ limit: 20 }), repository.newerThan(since(i), FANOUT_LIMIT)]).catch(
        () => mainLikeFailures++,
      );
    });

    console.table({
      'before: one read per request (main before coalescing)': {
        'commands/s': Math.round(mainLike.perSecond),
        commands: mainLike.commands,
        'clients not served': mainLikeFailures,
      },
      'after: the frontend (poller page, shared reads)': {
        'commands/s': Math.round(ours.perSecond),
        commands: ours.commands,
        'clients not served': failures.length,
      },
    });
    console.log(
      `reconnect storm (${CLIENTS} clients in ${WINDOW_MS / 1000} s, first page + resume each): ` +
        `${ours.perSecond.toFixed(1)} database commands/s at the wire front, before ${mainLike.perSecond.toFixed(1)}: ` +
        `ratio ${(ours.perSecond / mainLike.perSecond).toFixed(3)}` +
        (failures.length > 0 ? `; not answered 200: ${failures.slice(0, 3).join(', ')}...` : ''),
    );
  } finally {
    // Before the front it reads through.
    await frontend?.stop();
    await reader.close();
    await front.close();
  }
});
