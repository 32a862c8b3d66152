import { ObjectId, type Document } from 'bson';

/** The replica set name Cosmos DB for MongoDB gives every account (`replicaSet=globaldb`). */
export const REPLICA_SET = 'globaldb';

/** What a member knows of the account: its members, which one is the write region, and since when. */
export interface TopologyView {
  /** Every member's `host:port`, write region first. */
  hosts: readonly string[];
  /** This member's `host:port`. */
  me: string;
  /** The write region's member, or null while there is none (between a region loss and a failover). */
  primary: string | null;
  /** Grows with every failover, so drivers take the new primary's word over the old one's. */
  term: number;
  /** This member's tags: `{ region: <display name> }`, as Cosmos DB tags its regions. */
  tags: Readonly<Record<string, string>>;
}

/** One member of the account: where its front listens and the region (Azure display name) it stands for. */
export interface MemberAddress {
  address: string;
  region: string;
}

/** Every member's view of the account, in the members' order, with `primary` (an address, or null) the write region. */
export function accountViews(members: readonly MemberAddress[], primary: string | null, term: number): TopologyView[] {
  const hosts = members.map((member) => member.address);
  return members.map((member) => ({ hosts, me: member.address, primary, term, tags: { region: member.region } }));
}

/** Fields of a standalone's answer that a replica set member answers differently, or not at all. */
const STANDALONE_FIELDS = ['ismaster', 'isWritablePrimary', 'secondary', 'topologyVersion', 'msg'];

/**
 * Turns the database's answer to `hello`/`isMaster` (a standalone primary) into the answer of a Cosmos
 * DB replica set member: the limits and wire versions stay the database's, the topology is the account's.
 * `legacy` is whether the question was `isMaster` (the answer then names `ismaster`, not `isWritablePrimary`).
 * No topologyVersion, so drivers poll heartbeats (every heartbeatFrequencyMS, as with Cosmos DB) instead
 * of holding an awaitable hello open.
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

/** Whether a command name asks `hello`/`isMaster` (any casing drivers use), and in which spelling. */
export function helloKind(name: string): 'hello' | 'legacy' | null {
  const lower = name.toLowerCase();
  if (lower === 'hello') return 'hello';
  if (lower === 'ismaster') return 'legacy';
  return null;
}
