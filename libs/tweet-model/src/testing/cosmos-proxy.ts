import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import { BSON, type Document } from 'mongodb';

// A MongoDB wire-protocol proxy in front of the real test database that answers with the errors
// Cosmos DB gives where the development database never would: throttling (16500), a read-only key,
// an exhausted storage quota... Whole commands fail, or some writes of a bulk insert do. Everything
// else passes through unchanged, so the driver and the database under test are the real ones.

const OP_MSG = 2013;
const HEADER = 16;

/** An error reply: `code`, `codeName`, `errmsg`, as the server sends them. */
export interface ServerError {
  code: number;
  codeName: string;
  errmsg: string;
}

export interface CosmosProxy {
  /** Connection string that reaches the database through the proxy. */
  url: string;
  /**
   * Fail the next `times` commands named `command` (e.g. 'find', 'insert') as a whole, with `error`
   * (throttling unless given); `Infinity` until called again with 0.
   */
  rejectNext(command: string, times: number, error?: ServerError): void;
  /** In the next `insert` command, throttle the writes at these indexes; the others reach the database. */
  throttleNextInsert(indexes: number[]): void;
  /** In the next `insert` command, fail the writes at these indexes with `error`; the others reach the database. */
  failNextInsert(indexes: number[], error: ServerError): void;
  /** Commands of this name the driver has sent (as they arrived, before any throttling). */
  sent(command: string): Document[];
  close(): Promise<void>;
}

export const THROTTLE_RETRY_AFTER_MS = 7;

/** Errors as Cosmos DB for MongoDB (and MongoDB) send them. */
export const COSMOS_ERRORS = {
  throttled: {
    code: 16500,
    codeName: 'RequestRateTooLarge',
    errmsg: `Error=16500, RetryAfterMs=${THROTTLE_RETRY_AFTER_MS}, Details='Response status code does not indicate success: TooManyRequests (429)'`,
  },
  /** A write with a read-only key. */
  readOnlyKey: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg: 'not authorized on kubeonazure to execute command { insert: "tweets", ordered: false }',
  },
  storageQuota: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg:
      "Error=13, Details='Response status code does not indicate success: Forbidden (403); Substatus: 1021; Reason: (Message: {\"Errors\":[\"Storage quota for 'Collection' exceeded.\"]})'",
  },
  /** The primary moved (a failover): the write may succeed on the new one. */
  notWritablePrimary: { code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not master' },
  /** The request ran past the server's time limit. */
  timeLimit: { code: 50, codeName: 'ExceededTimeLimit', errmsg: 'Request timed out.' },
  /** A document the database will never take. */
  documentInvalid: { code: 121, codeName: 'DocumentValidationFailure', errmsg: 'Document failed validation' },
} satisfies Record<string, ServerError>;

interface OpMsg {
  requestId: number;
  command: Document;
}

export async function startCosmosProxy(databaseUrl: string): Promise<CosmosProxy> {
  const target = new URL(databaseUrl);
  const rejections = new Map<string, { left: number; error: ServerError }>();
  let insertFailure: { indexes: number[]; error: ServerError } | undefined;
  const log: Document[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connectTcp(Number(target.port || 27017), target.hostname);
    sockets.add(client).add(upstream);
    // requestId of a forwarded, partly failed insert -> how to complete its reply.
    const pendingInserts = new Map<number, (reply: Document) => Document>();
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());

    frames(client, (frame) => {
      const msg = readOpMsg(frame);
      if (!msg) return upstream.write(frame);
      const name = Object.keys(msg.command)[0] ?? '';
      log.push(msg.command);
      const rejection = rejections.get(name);
      if (rejection && rejection.left > 0) {
        rejection.left--;
        return client.write(writeOpMsg({ ok: 0, ...rejection.error }, msg.requestId, msg.requestId));
      }
      if (name === 'insert' && insertFailure) {
        const { error } = insertFailure;
        const failing = new Set(insertFailure.indexes);
        insertFailure = undefined;
        const all: Document[] = msg.command.documents;
        const kept = all.map((_, i) => i).filter((i) => !failing.has(i));
        const complete = (reply: Document): Document => ({
          ...reply,
          writeErrors: [
            ...(reply.writeErrors ?? []).map((e: Document) => ({ ...e, index: kept[e.index] })),
            ...[...failing].map((index) => ({ index, ...error })),
          ].sort((a, b) => a.index - b.index),
        });
        if (kept.length === 0) return client.write(writeOpMsg(complete({ ok: 1, n: 0 }), msg.requestId, msg.requestId));
        pendingInserts.set(msg.requestId, complete);
        return upstream.write(writeOpMsg({ ...msg.command, documents: kept.map((i) => all[i]) }, msg.requestId, 0));
      }
      upstream.write(frame);
    });

    frames(upstream, (frame) => {
      const complete = pendingInserts.get(frame.readInt32LE(8));
      const msg = complete && readOpMsg(frame);
      if (!complete || !msg) return client.write(frame);
      pendingInserts.delete(frame.readInt32LE(8));
      client.write(writeOpMsg(complete(msg.command), msg.requestId, frame.readInt32LE(8)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${port}`;
  // Talk to the proxy only, even if the server behind it announces other replica set members.
  url.searchParams.set('directConnection', 'true');

  return {
    url: url.toString(),
    rejectNext: (command, times, error = COSMOS_ERRORS.throttled) => void rejections.set(command, { left: times, error }),
    throttleNextInsert: (indexes) => void (insertFailure = { indexes, error: COSMOS_ERRORS.throttled }),
    failNextInsert: (indexes, error) => void (insertFailure = { indexes, error }),
    sent: (command) => log.filter((c) => Object.keys(c)[0] === command),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
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

/** An OP_MSG's command with its document sequences folded in; undefined for other messages. */
function readOpMsg(frame: Buffer): OpMsg | undefined {
  if (frame.readInt32LE(12) !== OP_MSG) return undefined;
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
  return { requestId: frame.readInt32LE(4), command: { ...command, ...sequences } };
}

/** An OP_MSG with one body section; in a reply, `responseTo` is the requestId of the request it answers. */
function writeOpMsg(body: Document, requestId: number, responseTo: number): Buffer {
  const bson = BSON.serialize(body);
  const frame = Buffer.alloc(HEADER + 4 + 1 + bson.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(responseTo, 8);
  frame.writeInt32LE(OP_MSG, 12);
  frame.writeUInt32LE(0, HEADER);
  frame[HEADER + 4] = 0;
  Buffer.from(bson).copy(frame, HEADER + 5);
  return frame;
}
