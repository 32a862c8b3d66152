import { readdirSync, readFileSync } from 'node:fs';

// What the Cosmos DB account must hold for the apps, in Cosmos DB's own formats, one copy each:
// deploy/azure/create-backing-services.sh sends these files to Azure as they are (`--idx @file`,
// `--body @file`), the streamer creates the same indexes where no deploy script ran (local runs,
// tests), and the wire front (libs/cosmos-wire-front) enforces the roles in tests and the simulation.
const dir = new URL('../cosmos/', import.meta.url);

/** An index of `az cosmosdb mongodb collection create --idx`: its keys, in order (Cosmos DB takes no direction). */
export interface CosmosIndex {
  key: { keys: string[] };
}

/** The indexes of the tweets collection: `_id`, and the one every newest-first sort reads backwards. */
export const TWEET_INDEXES: readonly CosmosIndex[] = JSON.parse(
  readFileSync(new URL('tweets-indexes.json', dir), 'utf8'),
) as CosmosIndex[];

/** A privilege of a Cosmos DB for MongoDB role definition: actions on one collection. */
export interface MongoPrivilege {
  Resource: { Db: string; Collection: string };
  Actions: string[];
}

/** The body of `az cosmosdb mongodb role definition create`. */
export interface MongoRoleDefinition {
  Id: string;
  RoleName: string;
  Type: 'CustomRole';
  DatabaseName: string;
  Privileges: MongoPrivilege[];
  Roles: { Role: string; Db: string }[];
}

/**
 * The apps' database roles (cosmos/roles/<app>.json), each held by the user of the same name: the
 * frontend finds tweets; the streamer finds and inserts tweets (the newest stored id and the gap fill
 * read them) and reads and writes the ingest lease.
 */
export function databaseRoles(): MongoRoleDefinition[] {
  const roles = new URL('roles/', dir);
  return readdirSync(roles)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(new URL(file, roles), 'utf8')) as MongoRoleDefinition);
}
