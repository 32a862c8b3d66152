import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'bson';
import { isHelloCommand, replicaSetHello, type TopologyView } from './hello.js';

// MongoDB wire protocol opcodes (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/).
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const HEADER = 16;
const CHECKSUM_PRESENT = 1;

/**
 * One region's MongoDB wire-protocol front, on loopback: it answers the handshake (`hello`,
 * `isMaster`) as a member of a Cosmos DB account's replica set would, and passes every other message
 * to its FerretDB unchanged, byte for byte. The hello itself also goes to FerretDB, so a front whose
 * database process is gone is unreachable, and the limits it reports are FerretDB's.
 */
export class WireFront {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: { host: string; port: number },
    private currentView: TopologyView,
  ) {}

  static async start(
    listenPort: number,
    upstream: { host: string; port: number },
    view: TopologyView,
  ): Promise<WireFront> {
    const server = createServer();
    const front = new WireFront(server, upstream, view);
    server.on('connection', (socket) => front.accept(socket));
    server.listen(listenPort, '127.0.0.1');
    await once(server, 'listening');
    return front;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get view(): TopologyView {
    return this.currentView;
  }

  /** A new view (e.g. after a failover) applies to the next hello on every connection. */
  setView(view: TopologyView): void {
    this.currentView = view;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket): void {
    const server = createConnection(this.upstream);
    client.setNoDelay(true);
    server.setNoDelay(true);
    this.sockets.add(client).add(server);
    const close = () => {
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);

    // Requests that asked hello, by request id: their replies are rewritten on the way back.
    const hellos = new Map<number, 'hello' | 'legacy'>();
    frames(client, (message) => {
      const kind = helloOf(message);
      if (kind) hellos.set(message.readInt32LE(4), kind);
      server.write(message);
    });
    frames(server, (message) => {
      const responseTo = message.readInt32LE(8);
      const kind = hellos.get(responseTo);
      if (!kind) return void client.write(message);
      hellos.delete(responseTo);
      client.write(
        rewriteReply(message, (doc) =>
          doc.ok === 1 ? replicaSetHello(doc, this.currentView, kind === 'legacy') : doc,
        ),
      );
    });
  }
}

/** Calls `onMessage` with each complete wire message read from `socket`. */
function frames(socket: Socket, onMessage: (message: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readInt32LE(0);
      if (length < HEADER) return void socket.destroy(new Error(`bad message length ${length}`));
      if (pending.length < length) break;
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  });
}

/** Whether a request asks hello: an OP_MSG whose body's first key is hello/isMaster, or OP_QUERY on `*.$cmd`. */
function helloOf(message: Buffer): 'hello' | 'legacy' | null {
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) {
    const body = opMsgBody(message);
    return body ? isHelloCommand(body.document) : null;
  }
  if (opCode === OP_QUERY) {
    const nameEnd = message.indexOf(0, HEADER + 4);
    const collection = message.toString('utf8', HEADER + 4, nameEnd);
    if (!collection.endsWith('.$cmd')) return null;
    const docStart = nameEnd + 1 + 8;
    return isHelloCommand(BSON.deserialize(message.subarray(docStart, docStart + message.readInt32LE(docStart))));
  }
  return null;
}

/** The kind-0 section of an OP_MSG: its document and where it lies. */
function opMsgBody(message: Buffer): { document: Document; start: number; end: number } | null {
  const flags = message.readUInt32LE(HEADER);
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let offset = HEADER + 4;
  while (offset < end) {
    const kind = message[offset];
    if (kind === 0) {
      const size = message.readInt32LE(offset + 1);
      return {
        document: BSON.deserialize(message.subarray(offset + 1, offset + 1 + size)),
        start: offset + 1,
        end: offset + 1 + size,
      };
    }
    offset += 1 + message.readInt32LE(offset + 1);
  }
  return null;
}

/** A reply with its one document replaced by `rewrite(document)`; the header keeps its ids. */
function rewriteReply(message: Buffer, rewrite: (document: Document) => Document): Buffer {
  const opCode = message.readInt32LE(12);
  let prefix: Buffer;
  let document: Document;
  if (opCode === OP_MSG) {
    const body = opMsgBody(message);
    if (!body) return message;
    document = body.document;
    // Flags cleared: without the checksum we would have to recompute it, and moreToCome is not used here.
    prefix = Buffer.from([0, 0, 0, 0, 0]);
  } else if (opCode === OP_REPLY) {
    const docStart = HEADER + 20;
    document = BSON.deserialize(message.subarray(docStart, docStart + message.readInt32LE(docStart)));
    prefix = Buffer.from(message.subarray(HEADER, docStart));
  } else {
    return message;
  }
  const header = Buffer.from(message.subarray(0, HEADER));
  const out = Buffer.concat([header, prefix, BSON.serialize(rewrite(document))]);
  out.writeInt32LE(out.length, 0);
  return out;
}
