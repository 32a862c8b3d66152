import type { TweetDocument } from '@kubeonazure/tweet-model';

/** A piece of tweet text: plain text, or a link made from one of the tweet's entities. */
export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'hashtag' | 'mention' | 'url'; text: string; href: string };

type Linkable = Pick<TweetDocument, 'text' | 'hashtags' | 'mentions' | 'urls'>;

interface Span {
  start: number;
  end: number;
  segment: Segment;
  /** What the text must say at [start, end) for the entity to be trusted. */
  expected: string;
}

/**
 * Splits a tweet's text into segments, linking hashtags, mentions and URLs from its entities.
 * Offsets are Unicode code points, as X gives them. An entity whose offsets do not point at
 * its own text (or that overlaps an earlier one) is left as plain text rather than linking
 * the wrong characters. Segments carry unescaped text: the template escapes it.
 */
export function linkEntities(tweet: Linkable): Segment[] {
  const chars = Array.from(tweet.text);
  const spans = candidateSpans(tweet)
    .filter((span) => span.start >= 0 && span.end <= chars.length && span.start < span.end)
    .filter((span) => chars.slice(span.start, span.end).join('').toLowerCase() === span.expected.toLowerCase())
    .sort((a, b) => a.start - b.start);

  const segments: Segment[] = [];
  let position = 0;
  for (const span of spans) {
    if (span.start < position) continue;
    pushText(segments, chars.slice(position, span.start).join(''));
    segments.push(span.segment);
    position = span.end;
  }
  pushText(segments, chars.slice(position).join(''));
  return segments;
}

function candidateSpans(tweet: Linkable): Span[] {
  const hashtags = tweet.hashtags.map(({ tag, start, end }) => ({
    start,
    end,
    expected: `#${tag}`,
    segment: { kind: 'hashtag' as const, text: `#${tag}`, href: `https://x.com/hashtag/${encodeURIComponent(tag)}` },
  }));
  const mentions = tweet.mentions.map(({ username, start, end }) => ({
    start,
    end,
    expected: `@${username}`,
    segment: { kind: 'mention' as const, text: `@${username}`, href: `https://x.com/${encodeURIComponent(username)}` },
  }));
  const urls = tweet.urls.flatMap(({ url, expanded_url, display_url, start, end }) => {
    const href = webUrl(expanded_url) ?? webUrl(url);
    return href
      ? [{ start, end, expected: url, segment: { kind: 'url' as const, text: display_url || url, href } }]
      : [];
  });
  return [...hashtags, ...mentions, ...urls];
}

/** Only http(s) links: a `javascript:` URL in the data must never become a link. */
function webUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// X sends text with &, < and > HTML-escaped; the template escapes again, so undo X's first.
const X_ESCAPES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

function pushText(segments: Segment[], text: string): void {
  if (text)
    segments.push({ kind: 'text', text: text.replace(/&(?:amp|lt|gt);/g, (entity) => X_ESCAPES[entity] ?? entity) });
}
