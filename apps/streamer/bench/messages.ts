/** The i-th synthetic filtered-stream message, as the wire delivers it. */
export function streamLine(i: number): string {
  const id = String(1_997_000_000_000_000_000n + BigInt(i));
  const text = `Benchmark post ${i}: shipping containers with #docker and compose 🐳`;
  return JSON.stringify({
    data: {
      id,
      text,
      created_at: new Date(Date.UTC(2026, 10, 23) + i * 10).toISOString(),
      author_id: String(1000 + (i % 500)),
      lang: 'en',
      public_metrics: {
        retweet_count: i % 7,
        reply_count: i % 3,
        like_count: i % 50,
        quote_count: 0,
        bookmark_count: 1,
        impression_count: i % 900,
      },
      entities: { hashtags: [{ start: 43, end: 50, tag: 'docker' }] },
    },
    includes: {
      users: [
        {
          id: String(1000 + (i % 500)),
          username: `bench_user_${i % 500}`,
          name: 'Bench User',
          profile_image_url: 'https://example.com/b_normal.png',
        },
      ],
    },
    matching_rules: [{ id: '1', tag: 'docker' }],
  });
}
