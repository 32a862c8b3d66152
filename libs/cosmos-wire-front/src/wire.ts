import { BSON, type Document } from 'bson';

// The parts of the MongoDB wire protocol a front needs
// (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/): drivers send every command as
// OP_MSG, except the first handshake of a connection, which may come as OP_QUERY on `<db>.$cmd`.

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
const HEADER = 16;
const CHECKSUM_PRESENT = 1;

/** A command a driver sent. */
export interface WireRequest {
  opCode: number;
  requestId: number;
  /** The command, with OP_MSG document sequences folded in. */
  command: Document;
  /** Its name, the command's first key (`find`, `insert`, `isMaster`, `hello`). */
  name: string;
}

/** Splits a byte stream into whole wire messages (each starts with its int32 length). */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** The messages `chunk` completes; throws on a length no message can have. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32LE(0);
      if (length < HEADER) throw new Error(`bad message length ${length}`);
      if (this.pending.length < length) break;
      frames.push(this.pending.subarray(0, length));
      this.pending = this.pending.subarray(length);
    }
    return frames;
  }
}

/** The command in a request, or undefined for anything that is not one (legacy queries on collections). */
export function readRequest(frame: Buffer): WireRequest | undefined {
  const opCode = frame.readInt32LE(12);
  let command: Document | undefined;
  if (opCode === OP_MSG) command = readOpMsgBody(frame);
  if (opCode === OP_QUERY) {
    const query = readOpQueryCommand(frame);
    command = query?.$query ?? query;
  }
  if (!command) return undefined;
  return { opCode, requestId: frame.readInt32LE(4), command, name: Object.keys(command)[0] ?? '' };
}

/** The document of a reply (OP_MSG, or OP_REPLY to a handshake). */
export function readReply(frame: Buffer): Document | undefined {
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) return readOpMsgBody(frame);
  // OP_REPLY: flags, cursor id, starting from, number returned, then the documents.
  if (opCode === OP_REPLY) return readDocument(frame, HEADER + 20);
  return undefined;
}

/** A reply in the form the request came in: OP_REPLY to an OP_QUERY, OP_MSG otherwise. */
export function encodeReply(requestOpCode: number, body: Document, requestId: number, responseTo: number): Buffer {
  return requestOpCode === OP_QUERY || requestOpCode === OP_REPLY
    ? encodeOpReply(body, requestId, responseTo)
    : encodeOpMsg(body, requestId, responseTo);
}

/** An OP_MSG with one body section; in a reply, `responseTo` is the requestId of the request it answers. */
export function encodeOpMsg(body: Document, requestId: number, responseTo: number): Buffer {
  const bson = BSON.serialize(body);
  const frame = Buffer.alloc(HEADER + 4 + 1 + bson.length);
  writeHeader(frame, requestId, responseTo, OP_MSG);
  // Flags 0 (no checksum, no moreToCome), then section kind 0: the body.
  frame.writeUInt32LE(0, HEADER);
  frame[HEADER + 4] = 0;
  frame.set(bson, HEADER + 5);
  return frame;
}

function encodeOpReply(body: Document, requestId: number, responseTo: number): Buffer {
  const bson = BSON.serialize(body);
  const frame = Buffer.alloc(HEADER + 20 + bson.length);
  writeHeader(frame, requestId, responseTo, OP_REPLY);
  // Flags 0, cursor id 0, starting from 0, one document.
  frame.writeInt32LE(1, HEADER + 16);
  frame.set(bson, HEADER + 20);
  return frame;
}

function writeHeader(frame: Buffer, requestId: number, responseTo: number, opCode: number): void {
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(requestId, 4);
  frame.writeInt32LE(responseTo, 8);
  frame.writeInt32LE(opCode, 12);
}

function readDocument(frame: Buffer, at: number): Document {
  return BSON.deserialize(frame.subarray(at, at + frame.readInt32LE(at)));
}

/** An OP_QUERY's query document when it is a command (collection `<db>.$cmd`). */
function readOpQueryCommand(frame: Buffer): Document | undefined {
  // Flags, the collection name (a C string), number to skip and to return, then the query.
  const nameEnd = frame.indexOf(0, HEADER + 4);
  if (!frame.toString('utf8', HEADER + 4, nameEnd).endsWith('.$cmd')) return undefined;
  return readDocument(frame, nameEnd + 1 + 8);
}

/** An OP_MSG's command with its document sequences folded in. */
function readOpMsgBody(frame: Buffer): Document {
  const end = frame.length - (frame.readUInt32LE(HEADER) & CHECKSUM_PRESENT ? 4 : 0);
  let command: Document = {};
  const sequences: Document = {};
  for (let at = HEADER + 4; at < end; ) {
    const kind = frame[at];
    const size = frame.readInt32LE(at + 1);
    if (kind === 0) {
      command = readDocument(frame, at + 1);
      at += 1 + size;
      continue;
    }
    // Kind 1: size, identifier (a C string), then documents up to the section's end.
    const sectionEnd = at + 1 + size;
    const nameEnd = frame.indexOf(0, at + 5);
    const documents: Document[] = [];
    for (let d = nameEnd + 1; d < sectionEnd; d += frame.readInt32LE(d)) documents.push(readDocument(frame, d));
    sequences[frame.toString('utf8', at + 5, nameEnd)] = documents;
    at = sectionEnd;
  }
  return { ...command, ...sequences };
}
