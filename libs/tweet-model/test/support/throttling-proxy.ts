import { createServer, connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import { BSON, type Document } from 'mongodb';

// A MongoDB wire-protocol proxy in front of the real test database that answers like Cosmos DB does
// when it throttles: whole commands fail with code 16500, or some writes of a bulk insert do. Everything
// else passes through unchanged, so the driver and the database under test are the real ones.

const OP_MSG = 2013;
const HEADER = 16;

export interface ThrottlingProxy {
  /** Connection string that reaches the database through the proxy. */
  url: string;
  /** Fail the next `times` commands named `command` (e.g. 'find', 'update') as a whole. */
  rejectNext(command: string, times: number): void;
  /** In the next `insert` command, throttle the writes at these indexes; the others reach the database. */
  throttleNextInsert(indexes: number[]): void;
  /** Commands of this name the driver has sent (as they arrived, before any throttling). */
  sent(command: string): Document[];
  close(): Promise<void>;
}

export const THROTTLE_RETRY_AFTER_MS = 7;
const throttledError = {
  code: 16500,
  codeName: 'RequestRateTooLarge',
  errmsg: `Error=16500, RetryAfterMs=${THROTTLE_RETRY_AFTER_MS}, Details='Response status code does not indicate success: TooManyRequests (429)'`,
};

interface OpMsg {
  requestId: number;
  command: Document;
}

export async function startThrottlingProxy(databaseUrl: string): Promise<ThrottlingProxy> {
  const target = new URL(databaseUrl);
  const rejections = new Map<string, number>();
  let insertThrottle: number[] | undefined;
  const log: Document[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connectTcp(Number(target.port || 27017), target.hostname);
    sockets.add(client).add(upstream);
    // requestId of a forwarded, partly throttled insert -> how to complete its reply.
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
      const left = rejections.get(name) ?? 0;
      if (left > 0) {
        rejections.set(name, left - 1);
        return client.write(writeOpMsg({ ok: 0, ...throttledError }, msg.requestId, msg.requestId));
      }
      if (name === 'insert' && insertThrottle) {
        const throttled = new Set(insertThrottle);
        insertThrottle = undefined;
        const all: Document[] = msg.command.documents;
        const kept = all.map((_, i) => i).filter((i) => !throttled.has(i));
        const complete = (reply: Document): Document => ({
          ...reply,
          writeErrors: [
            ...(reply.writeErrors ?? []).map((e: Document) => ({ ...e, index: kept[e.index] })),
            ...[...throttled].map((index) => ({ index, ...throttledError })),
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
    rejectNext: (command, times) => void rejections.set(command, times),
    throttleNextInsert: (indexes) => void (insertThrottle = indexes),
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
