import type { MongoClient } from 'mongodb';

/** Whether the streamer's own region is the write region right now. */
export type WriteRegionWatch = () => boolean;

/**
 * Follows the driver's view of the replica set: true while the primary's `region` tag (Cosmos DB
 * tags every region's member with its display name) is `displayName`. With no region of its own, or
 * on a single server (local runs), a streamer counts as in the write region: there is nobody to defer to.
 */
export function watchWriteRegion(client: MongoClient, displayName: string | null): WriteRegionWatch {
  if (displayName === null) return () => true;
  let primaryRegion: string | null = null;
  let replicaSet = true;
  client.on('topologyDescriptionChanged', (event) => {
    const primary = [...event.newDescription.servers.values()].find((server) => server.type === 'RSPrimary');
    primaryRegion = primary?.tags.region ?? null;
    // A single server (a development database) has no regions to defer to.
    replicaSet = event.newDescription.type !== 'Single';
  });
  return () => !replicaSet || primaryRegion === displayName;
}
