import { BSON } from 'bson';
import { describe, expect, it } from 'vitest';
import { encodeOpMsg, encodeReply, FrameSplitter, OP_MSG, OP_QUERY, OP_REPLY, readReply, readRequest } from './wire.js';

/** A message with `body` after the 16-byte header. */
function message(opCode: number, requestId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

const bson = (document: object) => Buffer.from(BSON.serialize(document));

/** An OP_QUERY (flags, collection, skip, return, query), as drivers send the first handshake. */
function opQuery(collection: string, query: object): Buffer {
  const skipReturn = Buffer.alloc(8);
  return message(
    OP_QUERY,
    7,
    Buffer.concat([Buffer.alloc(4), Buffer.from(`${collection}\0`), skipReturn, bson(query)]),
  );
}

describe('readRequest', () => {
  it('reads an OP_MSG command and its name', () => {
    expect(readRequest(encodeOpMsg({ find: 'tweets', limit: 5 }, 42, 0))).toEqual({
      opCode: OP_MSG,
      requestId: 42,
      command: { find: 'tweets', limit: 5 },
      name: 'find',
    });
  });

  it('folds document sequences into the command, as the driver sends inserts', () => {
    const documents = [bson({ _id: '1' }), bson({ _id: '2' })];
    const sequence = Buffer.concat([Buffer.from('documents\0'), ...documents]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + sequence.length);
    const body = Buffer.concat([
      Buffer.alloc(4),
      Buffer.from([0]),
      bson({ insert: 'tweets', ordered: false }),
      Buffer.from([1]),
      size,
      sequence,
    ]);
    expect(readRequest(message(OP_MSG, 3, body))?.command).toEqual({
      insert: 'tweets',
      ordered: false,
      documents: [{ _id: '1' }, { _id: '2' }],
    });
  });

  it('reads a handshake sent as OP_QUERY on $cmd, unwrapping $query', () => {
    expect(readRequest(opQuery('admin.$cmd', { $query: { isMaster: 1 }, $readPreference: {} }))).toMatchObject({
      opCode: OP_QUERY,
      requestId: 7,
      command: { isMaster: 1 },
      name: 'isMaster',
    });
    expect(readRequest(opQuery('admin.$cmd', { ismaster: 1 }))?.name).toBe('ismaster');
  });

  it('leaves a legacy query on a collection alone', () => {
    expect(readRequest(opQuery('kubeonazure.tweets', { _id: '1' }))).toBeUndefined();
  });
});

describe('encodeReply and readReply', () => {
  it('answer an OP_QUERY with OP_REPLY and anything else with OP_MSG, the ids kept', () => {
    const legacy = encodeReply(OP_QUERY, { ismaster: true, ok: 1 }, 9, 7);
    expect([legacy.readInt32LE(0), legacy.readInt32LE(4), legacy.readInt32LE(8), legacy.readInt32LE(12)]).toEqual([
      legacy.length,
      9,
      7,
      OP_REPLY,
    ]);
    expect(readReply(legacy)).toEqual({ ismaster: true, ok: 1 });
    const modern = encodeReply(OP_MSG, { ok: 0, code: 16500 }, 10, 8);
    expect(modern.readInt32LE(12)).toBe(OP_MSG);
    expect(modern.readInt32LE(8)).toBe(8);
    expect(readReply(modern)).toEqual({ ok: 0, code: 16500 });
  });
});

describe('FrameSplitter', () => {
  it('returns whole messages however the bytes arrive', () => {
    const [a, b] = [encodeOpMsg({ ping: 1 }, 1, 0), encodeOpMsg({ find: 'tweets' }, 2, 0)];
    const stream = Buffer.concat([a, b]);
    const splitter = new FrameSplitter();
    expect(splitter.push(stream.subarray(0, 3))).toEqual([]);
    expect(splitter.push(stream.subarray(3, a.length + 5))).toEqual([a]);
    expect(splitter.push(stream.subarray(a.length + 5))).toEqual([b]);
  });

  it('refuses a length no message can have', () => {
    const bad = Buffer.alloc(16);
    bad.writeInt32LE(4, 0);
    expect(() => new FrameSplitter().push(bad)).toThrow(/bad message length 4/);
  });
});
