import { describe, expect, it } from 'vitest';
import { linkEntities } from './entities.js';

const none = { hashtags: [], mentions: [], urls: [] };

describe('linkEntities', () => {
  it('returns plain text when there are no entities', () => {
    expect(linkEntities({ ...none, text: 'hello <b>world</b>' })).toEqual([
      { kind: 'text', text: 'hello <b>world</b>' },
    ]);
  });

  it('links hashtags, mentions and URLs in order', () => {
    const text = '#Kubernetes on Azure with @azure https://t.co/abc';
    const segments = linkEntities({
      text,
      hashtags: [{ tag: 'Kubernetes', start: 0, end: 11 }],
      mentions: [{ username: 'azure', start: 26, end: 32 }],
      urls: [
        {
          url: 'https://t.co/abc',
          expanded_url: 'https://azure.microsoft.com/en-us/products/kubernetes-service',
          display_url: 'azure.microsoft.com/en-us/product…',
          start: 33,
          end: 49,
        },
      ],
    });
    expect(segments).toEqual([
      { kind: 'hashtag', text: '#Kubernetes', href: 'https://x.com/hashtag/Kubernetes' },
      { kind: 'text', text: ' on Azure with ' },
      { kind: 'mention', text: '@azure', href: 'https://x.com/azure' },
      { kind: 'text', text: ' ' },
      {
        kind: 'url',
        text: 'azure.microsoft.com/en-us/product…',
        href: 'https://azure.microsoft.com/en-us/products/kubernetes-service',
      },
    ]);
  });

  it('counts offsets in code points, so emoji before an entity do not shift it', () => {
    // "🚀" is one code point but two UTF-16 units.
    const segments = linkEntities({ ...none, text: '🚀🚀 #k8s rocks', hashtags: [{ tag: 'k8s', start: 3, end: 7 }] });
    expect(segments).toEqual([
      { kind: 'text', text: '🚀🚀 ' },
      { kind: 'hashtag', text: '#k8s', href: 'https://x.com/hashtag/k8s' },
      { kind: 'text', text: ' rocks' },
    ]);
  });

  it('leaves an entity as text when its offsets do not point at it', () => {
    const segments = linkEntities({ ...none, text: 'no tag here', hashtags: [{ tag: 'k8s', start: 0, end: 4 }] });
    expect(segments).toEqual([{ kind: 'text', text: 'no tag here' }]);
  });

  it('ignores out-of-range and overlapping entities', () => {
    const segments = linkEntities({
      ...none,
      text: '#aks',
      hashtags: [
        { tag: 'aks', start: 0, end: 4 },
        { tag: 'aks', start: 2, end: 9 },
      ],
      mentions: [{ username: 'aks', start: 0, end: 4 }],
    });
    expect(segments.filter((s) => s.kind !== 'text')).toHaveLength(1);
  });

  it("undoes X's own HTML escaping once, leaving the escaping to the template", () => {
    expect(linkEntities({ ...none, text: 'AKS &amp; EKS &lt;3 &amp;lt;b&amp;gt;' })).toEqual([
      { kind: 'text', text: 'AKS & EKS <3 &lt;b&gt;' },
    ]);
  });

  it('never turns a non-web URL into a link', () => {
    const segments = linkEntities({
      ...none,
      text: 'click javascript:alert(1)',
      urls: [{ url: 'javascript:alert(1)', expanded_url: 'javascript:alert(1)', display_url: 'x', start: 6, end: 25 }],
    });
    expect(segments).toEqual([{ kind: 'text', text: 'click javascript:alert(1)' }]);
  });

  it('falls back to the short URL when the expanded one is not a web URL', () => {
    const [segment] = linkEntities({
      ...none,
      text: 'https://t.co/x',
      urls: [{ url: 'https://t.co/x', expanded_url: 'not a url', display_url: 'example.com', start: 0, end: 14 }],
    });
    expect(segment).toEqual({ kind: 'url', text: 'example.com', href: 'https://t.co/x' });
  });

  it('encodes hashtag and mention path parts', () => {
    const [segment] = linkEntities({ ...none, text: '#日本', hashtags: [{ tag: '日本', start: 0, end: 3 }] });
    expect(segment).toMatchObject({ href: 'https://x.com/hashtag/%E6%97%A5%E6%9C%AC' });
  });
});
