/** Names Azure gives a Traffic Manager profile; no public CA can certify them, their zone is Microsoft's. */
const TRAFFIC_MANAGER = /\.trafficmanager\.net$/i;
// A DNS name or a bracketed IPv6 address, then an optional port: anything else is no host to send a browser to.
const HOST = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The host name of a Host header without its port, or null when it is missing or malformed. */
export function hostName(host: string | undefined): string | null {
  const match = host === undefined ? null : HOST.exec(host);
  return match?.[1]?.toLowerCase() ?? null;
}

/**
 * Where a request for the Traffic Manager name goes instead: the custom domain, same path. Null to
 * serve it: other names, no custom domain set, and `/healthz`, Traffic Manager's own probe.
 */
export function publicHostLocation(host: string | undefined, url: string, publicHost: string | null): string | null {
  const name = hostName(host);
  if (publicHost === null || name === null || !TRAFFIC_MANAGER.test(name)) return null;
  if (url === '/healthz' || url.startsWith('/healthz?')) return null;
  return `https://${publicHost}${url}`;
}

/**
 * Where a plain-HTTP request goes: the same name and path over HTTPS on 443, the Service's public
 * port (the pod's own HTTPS_PORT is behind it), or straight to the custom domain for the Traffic
 * Manager name. Null when the Host header names nothing to redirect to, or the target is no path.
 */
export function httpsLocation(host: string | undefined, url: string, publicHost: string | null): string | null {
  const name = hostName(host);
  // An absolute-form request target (`GET http://other/ HTTP/1.1`) is a proxy's request, not a page.
  if (name === null || !url.startsWith('/')) return null;
  return publicHostLocation(host, url, publicHost) ?? `https://${name}${url}`;
}
