import { exactUtc, relativeTime } from '@kubeonazure/relative-time';
import { encodeCursor, type TweetDocument } from '@kubeonazure/tweet-model';
import { linkEntities, type Segment } from './entities.js';

/** What the tweet card partial (views/partials/tweet.eta) shows; raw strings, escaped by the template. */
export interface Card {
  id: string;
  cursor: string;
  name: string;
  username: string | null;
  profileUrl: string | null;
  tweetUrl: string;
  avatarUrl: string | null;
  initial: string;
  createdIso: string;
  createdUtc: string;
  createdRelative: string;
  segments: Segment[];
  ruleTags: string[];
  marker: string | null;
  lang: string | null;
}

/** X's image CDN: the only third-party origin the page loads anything from (images only; see the CSP). */
export const AVATAR_ORIGIN = 'https://pbs.twimg.com';

const MARKERS: Record<NonNullable<TweetDocument['referenced_type']>, string> = {
  retweeted: 'Retweet',
  quoted: 'Quote',
  replied_to: 'Reply',
};

export function toCard(tweet: TweetDocument, now: Date): Card {
  const name = tweet.name ?? tweet.username ?? 'Unknown author';
  return {
    id: tweet._id,
    cursor: encodeCursor(tweet),
    name,
    username: tweet.username,
    profileUrl: tweet.username ? `https://x.com/${encodeURIComponent(tweet.username)}` : null,
    tweetUrl: `https://x.com/i/web/status/${encodeURIComponent(tweet._id)}`,
    avatarUrl: avatarUrl(tweet.avatar_url),
    initial: (Array.from(name)[0] ?? '?').toUpperCase(),
    createdIso: tweet.created_at.toISOString(),
    createdUtc: exactUtc(tweet.created_at),
    createdRelative: relativeTime(tweet.created_at, now),
    segments: linkEntities(tweet),
    ruleTags: tweet.rule_tags,
    marker: tweet.referenced_type ? MARKERS[tweet.referenced_type] : null,
    lang: tweet.lang && tweet.lang !== 'und' ? tweet.lang : null,
  };
}

/** Avatars are shown only from X's CDN, so the CSP can name that one origin; others get the initial. */
function avatarUrl(url: string | null): string | null {
  return url?.startsWith(`${AVATAR_ORIGIN}/`) ? url : null;
}
