import type { WireUser } from './auth.js';
import { accountViews, REPLICA_SET } from './hello.js';
import { WireFront } from './wire-front.js';

// One database presented as a geo-replicated Cosmos DB for MongoDB account, for tests: a front per
// region in front of the same database, the write region the primary, every member tagged with its
// region, so the driver's own server selection decides which member each command goes to.

export interface CosmosMemberOptions {
  /** The Azure display name the member is tagged with (`{ region: 'UK South' }`). */
  region: string;
  /** The write region; exactly one member is. */
  primary?: boolean;
}

export interface CosmosAccount {
  /** Seed list of every member with `replicaSet=globaldb`, the rest of the database's connection string kept. */
  url: string;
  /** The members in the order given; each records the commands it served and can stop and start. */
  members: WireFront[];
  /** The member tagged with this region. */
  member(region: string): WireFront;
  close(): Promise<void>;
}

/** `users`: the account's role-based users, enforced by every member (see WireFrontOptions.users). */
export async function startCosmosAccount(
  databaseUrl: string,
  members: CosmosMemberOptions[],
  options: { users?: readonly WireUser[] } = {},
): Promise<CosmosAccount> {
  const primaryIndex = members.findIndex((member) => member.primary);
  if (members.filter((member) => member.primary).length !== 1) throw new Error('exactly one member is the primary');
  const fronts: WireFront[] = [];
  try {
    for (const _ of members) fronts.push(await WireFront.start(databaseUrl, { record: true, ...options }));
  } catch (error) {
    await Promise.all(fronts.map((front) => front.close()));
    throw error;
  }
  // Every member's hello lists every host, known once every front listens.
  const addresses = fronts.map((front, index) => ({ address: front.address, region: members[index]!.region }));
  const views = accountViews(addresses, fronts[primaryIndex]!.address, 1);
  for (const [index, front] of fronts.entries()) front.setView(views[index]!);

  const url = new URL(databaseUrl);
  url.host = fronts.map((front) => front.address).join(',');
  url.searchParams.delete('directConnection');
  url.searchParams.set('replicaSet', REPLICA_SET);
  return {
    url: url.toString(),
    members: fronts,
    member(region) {
      const found = fronts.find((front) => front.region === region);
      if (!found) throw new Error(`no member tagged region: ${region}`);
      return found;
    },
    close: async () => void (await Promise.all(fronts.map((front) => front.close()))),
  };
}
