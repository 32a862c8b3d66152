import type { MongoClient } from 'mongodb';

/**
 * Where the write region is, as this streamer's driver sees it now. "The write region" is the current
 * primary, whatever the database says now: the `role` in regions.json is only the initial placement
 * and the failover priority.
 */
export interface WriteRegionView {
  /** Whether the streamer's own region is the write region. */
  inWriteRegion: boolean;
  /** The write region's display name; null while no primary is known, and on a single server. */
  primaryRegion: string | null;
  /**
   * Since when (own clock, ms) the driver has seen the current write region; -Infinity where there is no
   * failover (a single server, or no region of our own), so nothing waits for one.
   */
  primarySince: number;
}

export type WriteRegionWatch = () => WriteRegionView;

/**
 * Follows the driver's view of the replica set: in the write region while the primary's `region` tag
 * (Cosmos DB tags every region's member with its display name) is `displayName`. A new primary region
 * (a failover, or the first one seen after start) restarts `primarySince`; a primary briefly unknown
 * and then the same again does not. With no region of its own, or on a single server (local runs), a
 * streamer counts as in the write region: there is nobody to defer to.
 */
export function watchWriteRegion(
  client: MongoClient,
  displayName: string | null,
  clock: () => number = Date.now,
): WriteRegionWatch {
  const always: WriteRegionView = { inWriteRegion: true, primaryRegion: null, primarySince: Number.NEGATIVE_INFINITY };
  if (displayName === null) return () => always;
  /** The primary's region now (null while there is none), and the last one seen. */
  let primaryRegion: string | null = null;
  let lastSeen: string | null = null;
  let primarySince = Number.POSITIVE_INFINITY;
  let replicaSet = true;
  client.on('topologyDescriptionChanged', (event) => {
    const primary = [...event.newDescription.servers.values()].find((server) => server.type === 'RSPrimary');
    primaryRegion = primary?.tags.region ?? null;
    if (primaryRegion !== null && primaryRegion !== lastSeen) {
      lastSeen = primaryRegion;
      primarySince = clock();
    }
    // A single server (a development database) has no regions to defer to.
    replicaSet = event.newDescription.type !== 'Single';
  });
  return () => (replicaSet ? { inWriteRegion: primaryRegion === displayName, primaryRegion, primarySince } : always);
}
