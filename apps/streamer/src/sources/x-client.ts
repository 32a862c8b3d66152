import { Agent as HttpAgent } from 'node:http';
import { TwitterApi, TwitterApiv2 } from 'twitter-api-v2';

/**
 * twitter-api-v2's v2 client, sent to `baseUrl` instead of https://api.x.com (a proxy or a test server).
 * The library builds every request with `https.request`; an `http.Agent` is what lets that speak plain
 * http. `setPrefix` is protected and `cloneWithPrefix` is broken in 1.29, hence the subclass. Reaching
 * into a non-public member is why package.json pins the version exactly: any release may change it.
 */
export class XApiClient extends TwitterApiv2 {
  constructor(bearerToken: string, baseUrl: string) {
    super(new TwitterApi(bearerToken, baseUrl.startsWith('http://') ? { httpAgent: new HttpAgent() } : {}));
    this.setPrefix(`${baseUrl}/2/`);
  }
}

/** The post fields we store, requested by both the filtered stream and search. */
export const TWEET_QUERY = {
  expansions: 'author_id',
  'user.fields': 'username,name,profile_image_url',
  'tweet.fields': 'created_at,lang,public_metrics,entities,note_tweet,referenced_tweets',
} as const;
