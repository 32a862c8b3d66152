import { randomBytes } from 'node:crypto';
import { databaseRoles, type MongoPrivilege } from '../cosmos-definitions.js';

/** A database user of the apps' roles, in the shape a wire front enforces (`WireUser`). */
export interface DatabaseUser {
  user: string;
  db: string;
  password: string;
  privileges: MongoPrivilege[];
}

/**
 * The apps' users (`frontend`, `streamer`), each with its role's privileges and a fresh random
 * password, moved to `database` (tests use a database of their own; the roles name `kubeonazure`).
 */
export function databaseUsers(database: string): Record<string, DatabaseUser> {
  return Object.fromEntries(
    databaseRoles().map((role) => [
      role.RoleName,
      {
        user: role.RoleName,
        db: database,
        password: randomBytes(24).toString('base64'),
        privileges: role.Privileges.map((privilege) => ({
          ...privilege,
          Resource: { ...privilege.Resource, Db: database },
        })),
      },
    ]),
  );
}

/**
 * `url` signed in as `user`, as a Cosmos DB role-based connection string does it. By hand, not with
 * `URL`: a replica set's connection string lists several hosts, which `URL` does not parse.
 */
export function connectionStringAs(url: string, user: Pick<DatabaseUser, 'user' | 'db' | 'password'>): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]+)\/?([^?]*)(?:\?(.*))?$/.exec(url);
  if (!match) throw new Error('not a mongodb:// connection string');
  const [, scheme, hosts, database, query] = match;
  const options = new URLSearchParams(query);
  options.set('authSource', user.db);
  options.set('authMechanism', 'SCRAM-SHA-256');
  return `${scheme}${encodeURIComponent(user.user)}:${encodeURIComponent(user.password)}@${hosts}/${database}?${options}`;
}
