import type { FakeXApi } from '@kubeonazure/fake-x-api';

/** Ids like X's: 19 digits, growing with time, so they sort as posts do. */
const FIRST_ID = 1_996_000_000_000_000_000n;

/**
 * Publishes made-up posts on the X API stand-in at a steady rate and remembers each one with its
 * publication time, so a drill can count what was published against what was stored, and a
 * benchmark can time publication to arrival.
 */
export class Feeder {
  readonly published: { id: string; at: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private next = FIRST_ID + BigInt(Date.now() % 1_000_000) * 1_000_000n;

  constructor(private readonly xApi: FakeXApi) {}

  /** Publishes `perSecond` posts a second until `stop` (0: none). */
  start(perSecond: number): void {
    this.stop();
    if (perSecond <= 0) return;
    this.timer = setInterval(() => this.publishOne(), 1000 / perSecond);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  publishOne(): string {
    const id = String(this.next++);
    const at = Date.now();
    const text = `Region drill post ${this.published.length + 1} #docker`;
    const hashtag = text.indexOf('#docker');
    this.xApi.publish({
      data: {
        id,
        text,
        created_at: new Date(at).toISOString(),
        author_id: '4242',
        lang: 'en',
        entities: { hashtags: [{ start: hashtag, end: hashtag + 7, tag: 'docker' }] },
      },
      includes: {
        users: [
          {
            id: '4242',
            username: 'region_drill',
            name: 'Region Drill',
            profile_image_url: 'https://example.com/a_normal.png',
          },
        ],
      },
      matching_rules: [{ id: '1000', tag: 'docker' }],
    });
    this.published.push({ id, at });
    return id;
  }
}
