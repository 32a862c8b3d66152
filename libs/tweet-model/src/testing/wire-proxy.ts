import { once } from 'node:events';
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';

// A MongoDB wire-protocol proxy on 127.0.0.1 in front of a real database. Each request may be
// answered by the proxy, forwarded changed, or forwarded as it is (the default), and the reply to a
// forwarded request may be rewritten: enough to make the real database answer as Cosmos DB does
// (throttling, replica-set members in regions) while the driver and the database stay the real ones.

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const HEADER = 16;

/** A request the driver sent: OP_MSG (every command) or OP_QUERY (the first handshake of a connection). */
export interface WireRequest {
  requestId: number;
  /** The command, with OP_MSG document sequences folded in. */
  command: Document;
  /** Its name, the command's first key (`find`, `insert`, `isMaster`, `hello`). */
  name: string;
}

/** What to do with a request; `undefined` forwards it as it is. */
export type Handling =
  | undefined
  | { reply: Document }
  | { forward?: Document; rewriteReply?: (reply: Document) => Document };

export interface WireProxyOptions {
  onRequest?: (request: WireRequest) => Handling;
  /** Listen on this port (0: any free one). */
  port?: number;
}

export interface WireProxy {
  host: string;
  port: number;
  /** The database's connection string pointed at the proxy, talking to it alone (`directConnection`). */
  url: string;
  /** Stops listening and drops every connection, as a server that went away. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startWireProxy(databaseUrl: string, options: WireProxyOptions = {}): Promise<WireProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = options.port ?? 0;

  function serve(client: Socket): void {
    const upstream = connectTcp(Number(target.port || 27017), target.hostname);
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('close', () => sockets.delete(socket));
    // requestId of a forwarded request -> how to rewrite its reply.
    const rewrites = new Map<number, (reply: Document) => Document>();
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());

    frames(client, (frame) => {
      const request = readRequest(frame);
      const handling = request && options.onRequest?.(request);
      if (!request || !handling) return upstream.write(frame);
      const opCode = frame.readInt32LE(12);
      if ('reply' in handling)
        return client.write(writeReply(opCode, handling.reply, request.requestId, request.requestId));
      if (handling.rewriteReply) rewrites.set(request.requestId, handling.rewriteReply);
      upstream.write(handling.forward ? writeOpMsg(handling.forward, request.requestId, 0) : frame);
    });

    frames(upstream, (frame) => {
      const responseTo = frame.readInt32LE(8);
      const rewrite = rewrites.get(responseTo);
      const reply = rewrite && readReply(frame);
      if (!rewrite || !reply) return client.write(frame);
      rewrites.delete(responseTo);
      client.write(writeReply(frame.readInt32LE(12), rewrite(reply), frame.readInt32LE(4), responseTo));
    });
  }

  async function start(): Promise<void> {
    server = createServer(serve);
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  }

  async function stop(): Promise<void> {
    const closing = server;
    server = undefined;
    if (!closing) return;
    for (const socket of sockets) socket.destroy();
    closing.close();
    await once(closing, 'close');
  }

  await start();
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${port}`;
  url.searchParams.set('directConnection', 'true');
  return { host: '127.0.0.1', port, url: url.toString(), start, stop, close: stop };
}

/** Splits a byte stream into wire-protocol messages (each starts with its int32 length). */
function frames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
      const length = buffered.readInt32LE(0);
      onFrame(buffered.subarray(0, length));
      buffered = buffered.subarray(length);
    }
  });
}

function readRequest(frame: Buffer): WireRequest | undefined {
  const opCode = frame.readInt32LE(12);
  let command: Document | undefined;
  if (opCode === OP_MSG) command = readOpMsgBody(frame);
  if (opCode === OP_QUERY) {
    const query = readOpQueryBody(frame);
    command = query.$query ?? query;
  }
  if (!command) return undefined;
  return { requestId: frame.readInt32LE(4), command, name: Object.keys(command)[0] ?? '' };
}

function readReply(frame: Buffer): Document | undefined {
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) return readOpMsgBody(frame);
  // OP_REPLY: flags, cursor id, starting from, number returned, then the documents.
  if (opCode === OP_REPLY)
    return BSON.deserialize(frame.subarray(HEADER + 20, HEADER + 20 + frame.readInt32LE(HEADER + 20)));
  return undefined;
}

function readOpQueryBody(frame: Buffer): Document {
  // Flags, the collection name (a C string), number to skip and to return, then the query.
  const nameEnd = frame.indexOf(0, HEADER + 4);
  const at = nameEnd + 1 + 8;
  return BSON.deserialize(frame.subarray(at, at + frame.readInt32LE(at)));
}

/** An OP_MSG's command with its document sequences folded in. */
function readOpMsgBody(frame: Buffer): Document {
  const hasChecksum = (frame.readUInt32LE(HEADER) & 1) === 1;
  const end = frame.length - (hasChecksum ? 4 : 0);
  let command: Document = {};
  const sequences: Document = {};
  for (let at = HEADER + 4; at < end; ) {
    const kind = frame[at];
    const size = frame.readInt32LE(at + 1);
    if (kind === 0) {
      command = BSON.deserialize(frame.subarray(at + 1, at + 1 + size));
      at += 1 + size;
      continue;
    }
    const sectionEnd = at + 1 + size;
    const nameEnd = frame.indexOf(0, at + 5);
    const docs: Document[] = [];
    for (let d = nameEnd + 1; d < sectionEnd; d += frame.readInt32LE(d)) {
      docs.push(BSON.deserialize(frame.subarray(d, d + frame.readInt32LE(d))));
    }
    sequences[frame.toString('utf8', at + 5, nameEnd)] = docs;
    at = sectionEnd;
  }
  return { ...command, ...sequences };
}

/** A reply in the form the request came in: OP_REPLY to an OP_QUERY, OP_MSG otherwise. */
function writeReply(opCode: number, body: Document, requestId: number, responseTo: number): Buffer {
  return opCode === OP_QUERY || opCode === OP_REPLY
    ? writeOpReply(body, requestId, responseTo)
    : writeOpMsg(body, requestId, responseTo);
}

/** An OP_MSG with one body section; in a reply, `responseTo` is the requestId of the request it answers. */
function writeOpMsg(body: Document, requestId: number, responseTo: number): Buffer {
  const bson = BSON.serialize(body);
  const frame = Buffer.alloc(HEADER + 4 + 1 + bson.length);
  writeHeader(frame, requestId, responseTo, OP_MSG);
  frame.writeUInt32LE(0, HEADER);
  frame[HEADER + 4] = 0;
  Buffer.from(bson).copy(frame, HEADER + 5);
  return frame;
}

function writeOpReply(body: Document, requestId: number, responseTo: number): Buffer {
  const bson = BSON.serialize(body);
  const frame = Buffer.alloc(HEADER + 20 + bson.length);
  writeHeader(frame, requestId, responseTo, OP_REPLY);
  // Flags 0, cursor id 0, starting from 0, one document.
  frame.writeInt32LE(1, HEADER + 16);
  Buffer.from(bson).copy(frame, HEADER + 20);
  return frame;
}

function writeHeader(frame: Buffer, requestId: number, responseTo: number, opCode: number): void {
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(responseTo, 8);
  frame.writeInt32LE(opCode, 12);
}
