// A DNS name or a bracketed IPv6 address, then an optional port: anything else is no host to send a browser to.
const HOST = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The host name of a Host header without its port, or null when it is missing or malformed. */
export function hostName(host: string | undefined): string | null {
  const match = host === undefined ? null : HOST.exec(host);
  return match?.[1]?.toLowerCase() ?? null;
}

/**
 * Where a request for any name but the custom domain goes instead: the custom domain, same path. The
 * certificate names the custom domain alone, so no page is served under another name: the Traffic
 * Manager name (no public CA can certify it), a region's own name, an address. Null to serve it: the
 * custom domain, no custom domain set, a request target that is no path, and `/healthz`, Traffic
 * Manager's probe, which asks with the region's name as Host.
 */
export function publicHostLocation(host: string | undefined, url: string, publicHost: string | null): string | null {
  if (publicHost === null || hostName(host) === publicHost || !url.startsWith('/')) return null;
  if (url === '/healthz' || url.startsWith('/healthz?')) return null;
  return `https://${publicHost}${url}`;
}

/**
 * Where a plain-HTTP request goes: the same name and path over HTTPS on 443, the Service's public
 * port (the pod's own HTTPS_PORT is behind it), or straight to the custom domain for any other name.
 * Null when the Host header names nothing to redirect to, or the target is no path.
 */
export function httpsLocation(host: string | undefined, url: string, publicHost: string | null): string | null {
  const name = hostName(host);
  // An absolute-form request target (`GET http://other/ HTTP/1.1`) is a proxy's request, not a page.
  if (name === null || !url.startsWith('/')) return null;
  return publicHostLocation(host, url, publicHost) ?? `https://${name}${url}`;
}
