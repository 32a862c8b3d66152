import { ObjectId, type Document } from 'bson';

/** The replica set name Cosmos DB for MongoDB gives every account (`replicaSet=globaldb`). */
export const REPLICA_SET = 'globaldb';

/** What every front knows of the account: its members, which one is the write region, and since when. */
export interface TopologyView {
  /** Every front's `host:port`, write region first. */
  hosts: readonly string[];
  /** This front's `host:port`. */
  me: string;
  /** The write region's front, or null while there is none (between a region loss and a failover). */
  primary: string | null;
  /** Grows with every failover, so drivers take the new primary's word over the old one's. */
  term: number;
  /** This member's tags: `{ region: <display name> }`, as Cosmos DB tags its regions. */
  tags: Readonly<Record<string, string>>;
}

/** Fields of a standalone's answer that a replica set member answers differently, or not at all. */
const STANDALONE_FIELDS = ['ismaster', 'isWritablePrimary', 'secondary', 'topologyVersion', 'msg'];

/**
 * Turns FerretDB's answer to `hello`/`isMaster` (a standalone primary) into the answer of a Cosmos DB
 * replica set member: the limits and wire versions stay FerretDB's, the topology is the account's.
 * `legacy` is whether the question was `isMaster` (the answer then names `ismaster`, not `isWritablePrimary`).
 * No topologyVersion, so drivers poll instead of holding an awaitable hello open.
 */
export function replicaSetHello(standalone: Document, view: TopologyView, legacy: boolean): Document {
  const kept = Object.fromEntries(Object.entries(standalone).filter(([key]) => !STANDALONE_FIELDS.includes(key)));
  const isPrimary = view.primary === view.me;
  return {
    [legacy ? 'ismaster' : 'isWritablePrimary']: isPrimary,
    secondary: !isPrimary,
    setName: REPLICA_SET,
    setVersion: 1,
    hosts: [...view.hosts],
    me: view.me,
    ...(view.primary ? { primary: view.primary } : {}),
    ...(isPrimary ? { electionId: electionId(view.term) } : {}),
    tags: { ...view.tags },
    ...kept,
  };
}

/** A term as an ObjectId, as replica sets report it; later terms compare greater. */
export function electionId(term: number): ObjectId {
  return new ObjectId(`7fffffff${term.toString(16).padStart(16, '0')}`);
}

/** Whether a command document asks `hello`/`isMaster` (its first key, any casing drivers use). */
export function isHelloCommand(command: Document): 'hello' | 'legacy' | null {
  const first = Object.keys(command)[0]?.toLowerCase();
  if (first === 'hello') return 'hello';
  if (first === 'ismaster') return 'legacy';
  return null;
}
