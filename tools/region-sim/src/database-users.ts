import { randomBytes } from 'node:crypto';
import type { WireUser } from '@kubeonazure/cosmos-wire-front';
import { DEFAULT_DATABASE } from '@kubeonazure/tweet-model';
import { databaseUsers } from '@kubeonazure/tweet-model/testing';

/**
 * The database users every region's wire front enforces. `frontend` and `streamer` hold the roles of
 * libs/tweet-model/cosmos/roles (the files deploy/azure sends to Azure); `operator` is the
 * simulation's own tooling (status, the drills' counts, the extra streamers of a drill): every action
 * on the apps' database. Production has no such user: there the deploy script works through Azure
 * Resource Manager, not the data plane.
 */
export interface SimUsers {
  frontend: WireUser;
  streamer: WireUser;
  operator: WireUser;
}

/** Every action a role may grant that the wire front knows (`requiredActions`), for the operator. */
const OPERATOR_ACTIONS = [
  'find',
  'insert',
  'update',
  'remove',
  'killCursors',
  'createIndex',
  'createCollection',
  'dropCollection',
  'dropIndex',
  'listCollections',
  'listIndexes',
  'collStats',
  'dbStats',
];

/** The run's users, each with a fresh random password that stays in this process and the apps' environment. */
export function simUsers(): SimUsers {
  const { frontend, streamer } = databaseUsers(DEFAULT_DATABASE);
  if (!frontend || !streamer) throw new Error('libs/tweet-model/cosmos/roles must define frontend and streamer');
  return {
    frontend,
    streamer,
    operator: {
      user: 'operator',
      db: DEFAULT_DATABASE,
      password: randomBytes(24).toString('base64'),
      privileges: [{ Resource: { Db: DEFAULT_DATABASE, Collection: '' }, Actions: OPERATOR_ACTIONS }],
    },
  };
}
