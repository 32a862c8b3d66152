// Writes data/sample.jsonl: synthetic X API v2 filtered-stream messages about docker, for replay.
// Everything is made up (users, posts, links); the output is deterministic, so re-running it changes nothing.
// Run: node apps/streamer/scripts/make-sample.ts
import { writeFileSync } from 'node:fs';

const COUNT = 295; // distinct posts; a few are repeated, as a stream does after a reconnect
const REPEATS = [7, 42, 100, 150, 233];
const BASE_ID = 1_990_000_000_000_000_000n; // above 2^53, like real post ids
const BASE_TIME = Date.parse('2026-11-23T09:00:00.000Z');

// A small deterministic generator (mulberry32) so the sample is stable across runs.
let seed = 20171123;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const adjectives = ['quiet', 'brave', 'sunny', 'lucky', 'rapid', 'tiny', 'cosmic', 'gentle', 'clever', 'misty'];
const animals = ['otter', 'whale', 'falcon', 'panda', 'gecko', 'lynx', 'heron', 'koala', 'badger', 'marmot'];
const users = Array.from({ length: 40 }, (_, i) => {
  const adjective = adjectives[i % adjectives.length] as string;
  const animal = animals[Math.floor(i / 4) % animals.length] as string;
  const username = `${adjective}_${animal}_${10 + i}`;
  return {
    id: String(900_000_000n + BigInt(i) * 7919n),
    username,
    name: `${adjective[0]?.toUpperCase()}${adjective.slice(1)} ${animal[0]?.toUpperCase()}${animal.slice(1)}`,
    profile_image_url: `https://example.com/avatars/${username}_normal.png`,
  };
});

// A post is built from parts so that entity offsets can be counted in code points, as X does.
type Part = string | { hashtag: string } | { mention: string } | { url: string };
const templates: Part[][] = [
  [
    'Just shipped a multi-stage build that cut our image from 1.2 GB to 80 MB ',
    { hashtag: 'docker' },
    ' ',
    { hashtag: 'devops' },
  ],
  [
    'Tip: use ',
    { hashtag: 'docker' },
    ' compose watch for hot reload in dev ',
    { url: 'https://example.com/blog/compose-watch' },
  ],
  [
    'Anyone else seeing slow builds on ARM runners? ',
    { mention: 'sunny_otter_12' },
    ' any ideas? ',
    { hashtag: 'docker' },
  ],
  ['🐳 Friday fun: how many containers are running on your laptop right now? ', { hashtag: 'docker' }],
  ['Distroless images + non-root user = happy security team 🔒 ', { hashtag: 'docker' }, ' ', { hashtag: 'security' }],
  [
    'Wrote up how we cache node_modules between CI runs with BuildKit ',
    { url: 'https://example.com/posts/buildkit-cache' },
    ' 🚀',
  ],
  [
    'Pinning base images by digest saved us from a surprise upgrade today. ',
    { hashtag: 'docker' },
    ' ',
    { hashtag: 'sre' },
  ],
  ['docker system prune just freed 43 GB 😅 ', { hashtag: 'docker' }],
  [
    'Great talk by ',
    { mention: 'clever_heron_28' },
    ' on container healthchecks vs readiness probes ',
    { hashtag: 'kubernetes' },
    ' ',
    { hashtag: 'docker' },
  ],
  ['Learning docker this week. Volumes finally make sense! 🎉 ', { hashtag: '100DaysOfCode' }],
  ['أحب استخدام docker في مشاريعي اليومية 🐳 ', { hashtag: 'docker' }],
  ['אני לומד docker ו-kubernetes השבוע ', { hashtag: 'docker' }, ' ', { hashtag: 'devops' }],
  [
    'Docker Desktop update fixed the file sharing slowness on my Mac 🙌 ',
    { url: 'https://example.com/notes/docker-desktop' },
  ],
  ['Hot take: your Dockerfile should fit on one screen. ', { hashtag: 'docker' }],
  [
    'Running Postgres in docker for tests, dropping it after each run. Clean and fast. ',
    { hashtag: 'testing' },
    ' ',
    { hashtag: 'docker' },
  ],
  ['.dockerignore is the most underrated file in the repo 📦 ', { hashtag: 'docker' }],
  ['Docker-Container auf dem Raspberry Pi laufen super stabil ', { hashtag: 'docker' }, ' ', { hashtag: 'homelab' }],
  ['Mis contenedores docker arrancan en menos de un segundo ⚡ ', { hashtag: 'docker' }],
  ['Dockerのマルチステージビルド、便利すぎる 🐳 ', { hashtag: 'docker' }],
  [
    'Finally moved our staging env to docker compose ',
    { mention: 'brave_whale_11' },
    ' thanks for the help! ',
    { hashtag: 'docker' },
  ],
];
const langs: Record<number, string> = { 10: 'ar', 11: 'iw', 16: 'de', 17: 'es', 18: 'ja' };
const longTail =
  ' Long story short: we split the build into a dependency stage and a runtime stage, copied only the compiled ' +
  'output, switched to a distroless base, dropped root, and added a healthcheck. The image is smaller, starts faster, ' +
  'and the scanner report went from forty findings to two. Full write-up with the Dockerfile diff in the link. ';

interface Span {
  start: number;
  end: number;
}
function render(parts: Part[]) {
  let text = '';
  const entities = {
    hashtags: [] as (Span & { tag: string })[],
    mentions: [] as (Span & { username: string })[],
    urls: [] as (Span & { url: string; expanded_url: string; display_url: string })[],
  };
  const at = () => [...text].length;
  for (const part of parts) {
    const start = at();
    if (typeof part === 'string') text += part;
    else if ('hashtag' in part) {
      text += `#${part.hashtag}`;
      entities.hashtags.push({ start, end: at(), tag: part.hashtag });
    } else if ('mention' in part) {
      text += `@${part.mention}`;
      entities.mentions.push({ start, end: at(), username: part.mention });
    } else {
      const short = `https://t.co/${Math.floor(random() * 36 ** 8)
        .toString(36)
        .padStart(8, '0')}`;
      text += short;
      const display = part.url.replace(/^https:\/\//, '');
      entities.urls.push({
        start,
        end: at(),
        url: short,
        expanded_url: part.url,
        display_url: display.length > 26 ? `${display.slice(0, 25)}…` : display,
      });
    }
  }
  const compact = Object.fromEntries(Object.entries(entities).filter(([, list]) => list.length > 0));
  return { text, entities: Object.keys(compact).length > 0 ? compact : undefined };
}

function message(i: number): object {
  const id = String(BASE_ID + BigInt(i) * 1_048_576n);
  const author = users[i % users.length] as (typeof users)[number];
  const templateIndex = i % templates.length;
  let parts = templates[templateIndex] as Part[];
  const kind = i % 23 === 5 ? 'retweet' : i % 31 === 9 ? 'long' : 'plain';
  const original = users[(i * 7 + 3) % users.length] as (typeof users)[number];
  if (kind === 'retweet') parts = ['RT ', { mention: original.username }, ': ', ...parts];
  if (kind === 'long')
    parts = [...parts, longTail, { url: 'https://example.com/posts/smaller-images' }, ' ', { hashtag: 'docker' }];
  const { text, entities } = render(parts);
  const post: Record<string, unknown> = {
    id,
    edit_history_tweet_ids: [id],
    text,
    created_at: new Date(BASE_TIME + i * 17_000).toISOString(),
    author_id: author.id,
    lang: langs[templateIndex] ?? 'en',
    public_metrics: {
      retweet_count: Math.floor(random() * 40),
      reply_count: Math.floor(random() * 10),
      like_count: Math.floor(random() * 200),
      quote_count: Math.floor(random() * 5),
      bookmark_count: Math.floor(random() * 15),
      impression_count: Math.floor(random() * 5000),
    },
    ...(entities ? { entities } : {}),
  };
  if (kind === 'retweet') post.referenced_tweets = [{ type: 'retweeted', id: String(BASE_ID - BigInt(i) * 999n) }];
  else if (i % 13 === 4) post.referenced_tweets = [{ type: 'replied_to', id: String(BASE_ID - BigInt(i) * 777n) }];
  else if (i % 17 === 6) post.referenced_tweets = [{ type: 'quoted', id: String(BASE_ID - BigInt(i) * 555n) }];
  if (kind === 'long') {
    // Long posts: `text` is the first 280 characters, the full text and its entities are in note_tweet.
    post.note_tweet = { text, ...(entities ? { entities } : {}) };
    post.text = `${[...text].slice(0, 279).join('')}…`;
    delete post.entities;
  }
  // Now and then the author cannot be expanded (suspended account): X sends the post with a partial error.
  if (i % 97 === 50) {
    return {
      data: post,
      errors: [
        {
          value: author.id,
          detail: `Could not find user with author_id: [${author.id}].`,
          title: 'Not Found Error',
          resource_type: 'user',
          parameter: 'author_id',
          resource_id: author.id,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        },
      ],
      matching_rules: [{ id: '1861000000000000001', tag: 'docker' }],
    };
  }
  const mentioned = kind === 'retweet' ? [original] : [];
  return {
    data: post,
    includes: { users: [author, ...mentioned.filter((user) => user.id !== author.id)] },
    matching_rules: [{ id: '1861000000000000001', tag: 'docker' }],
  };
}

const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify(message(i)));
for (const [n, repeated] of REPEATS.entries()) lines.splice(repeated + 40 + n * 3, 0, lines[repeated] as string);
const target = new URL('../data/sample.jsonl', import.meta.url);
writeFileSync(target, `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} messages (${COUNT} distinct posts) to ${target.pathname}`);
