import type { Document } from 'mongodb';
import { startWireProxy, type WireProxy } from './wire-proxy.js';

// The real database presented as a geo-replicated Cosmos DB for MongoDB account: one replica set
// whose primary is the write region and whose secondaries are the read regions, each member tagged
// `{ region: "<Azure display name>" }`. Every member is a wire proxy on 127.0.0.1 that answers the
// handshake and heartbeats (`hello` / `isMaster`) as that member, and forwards everything else to the
// one database behind: the driver's own server selection decides which member each read goes to.

const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

export interface CosmosMemberOptions {
  /** Replica-set member tags, as Cosmos DB gives them: `{ region: 'UK South' }`. */
  tags: Record<string, string>;
  /** The write region; exactly one member is. */
  primary?: boolean;
}

export interface CosmosMember {
  /** `127.0.0.1:<port>`, as listed in `hosts`. */
  host: string;
  tags: Record<string, string>;
  primary: boolean;
  /** The commands this member was sent, handshakes and heartbeats left out, oldest first. */
  commands(name?: string): Document[];
  /** The member goes away: its port closes and its connections drop. */
  stop(): Promise<void>;
  /** The member comes back on the same port. */
  start(): Promise<void>;
}

export interface CosmosReplicaSet {
  /** Seed list of every member with `replicaSet=<setName>`, the rest of the database's connection string kept. */
  url: string;
  setName: string;
  members: CosmosMember[];
  /** The member whose tag `region` is this display name. */
  member(region: string): CosmosMember;
  close(): Promise<void>;
}

/** Starts one proxy per member in front of `databaseUrl`; close() stops them all. */
export async function startCosmosReplicaSet(
  databaseUrl: string,
  options: { members: CosmosMemberOptions[]; setName?: string },
): Promise<CosmosReplicaSet> {
  const setName = options.setName ?? 'globaldb';
  if (options.members.filter((member) => member.primary).length !== 1)
    throw new Error('exactly one member is the primary');

  const primaryIndex = options.members.findIndex((member) => member.primary);
  // Every member's hello lists all hosts, known once every proxy listens.
  const logs = options.members.map(() => [] as Document[]);
  const hosts: string[] = [];
  const proxies: WireProxy[] = [];
  try {
    for (const [index, member] of options.members.entries()) {
      const proxy = await startWireProxy(databaseUrl, {
        onRequest({ command, name }) {
          if (!HELLO_COMMANDS.has(name)) {
            logs[index]!.push(command);
            return undefined;
          }
          return {
            rewriteReply: (reply) =>
              asMember(reply, { ...member, me: hosts[index]!, primaryHost: hosts[primaryIndex]!, hosts, setName }),
          };
        },
      });
      proxies.push(proxy);
      hosts.push(`${proxy.host}:${proxy.port}`);
    }
  } catch (error) {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    throw error;
  }

  const members = options.members.map((member, index): CosmosMember => {
    const proxy = proxies[index]!;
    return {
      host: hosts[index]!,
      tags: member.tags,
      primary: member.primary === true,
      commands: (name) => logs[index]!.filter((command) => name === undefined || Object.keys(command)[0] === name),
      stop: proxy.stop,
      start: proxy.start,
    };
  });

  const url = new URL(databaseUrl);
  url.host = hosts.join(',');
  url.searchParams.delete('directConnection');
  url.searchParams.set('replicaSet', setName);
  return {
    url: url.toString(),
    setName,
    members,
    member(region) {
      const found = members.find((member) => member.tags.region === region);
      if (!found) throw new Error(`no member tagged region: ${region}`);
      return found;
    },
    close: async () => void (await Promise.all(proxies.map((proxy) => proxy.close()))),
  };
}

/** The database's own hello reply, as this replica-set member would give it. */
function asMember(
  reply: Document,
  member: CosmosMemberOptions & { me: string; primaryHost: string; hosts: string[]; setName: string },
): Document {
  // Without topologyVersion the driver polls heartbeats instead of streaming them (as with Cosmos DB),
  // so a test can shorten them with heartbeatFrequencyMS.
  const { topologyVersion: _streaming, ...own } = reply;
  const primary = member.primary === true;
  const hello = 'ismaster' in own ? { ismaster: primary } : { isWritablePrimary: primary };
  return {
    ...own,
    ...hello,
    secondary: !primary,
    setName: member.setName,
    setVersion: 1,
    hosts: member.hosts,
    primary: member.primaryHost,
    me: member.me,
    tags: member.tags,
  };
}
