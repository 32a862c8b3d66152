import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Binary, type Document } from 'bson';
import type { ServerError } from './errors.js';

// Cosmos DB for MongoDB's role-based users, as a front enforces them: SCRAM-SHA-256 (RFC 5802 and
// 7677, as MongoDB drivers speak it in saslStart/saslContinue), then every command checked against the
// privileges of the user's role, in Cosmos DB's role definition format.

/** A privilege of a role definition, as `az cosmosdb mongodb role definition create` takes it. */
export interface WirePrivilege {
  Resource: { Db: string; Collection: string };
  Actions: readonly string[];
}

/** A database user: where it is defined (`authSource`), its password, and its role's privileges. */
export interface WireUser {
  user: string;
  db: string;
  password: string;
  privileges: readonly WirePrivilege[];
}

/** Commands anyone may send, signed in or not: the handshake, the sign-in itself, liveness, and ending sessions. */
const OPEN_COMMANDS = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'saslstart', 'saslcontinue', 'endsessions']);

/**
 * The actions a command needs on its collection, as Cosmos DB's privileges name them; undefined for a
 * command no role grants (such commands are refused to every user: deny by default).
 */
export function requiredActions(command: Document): string[] | undefined {
  const name = Object.keys(command)[0] ?? '';
  switch (name) {
    case 'find':
    case 'getMore':
    case 'count':
    case 'distinct':
    case 'aggregate':
      return ['find'];
    case 'insert':
      return ['insert'];
    case 'update':
      return ['update', ...((command.updates as Document[] | undefined)?.some((u) => u.upsert) ? ['insert'] : [])];
    case 'delete':
      return ['remove'];
    case 'findAndModify':
    case 'findandmodify':
      if (command.remove) return ['find', 'remove'];
      return ['find', 'update', ...(command.upsert ? ['insert'] : [])];
    case 'killCursors':
      return ['killCursors'];
    case 'createIndexes':
      return ['createIndex'];
    case 'create':
      return ['createCollection'];
    case 'drop':
      return ['dropCollection'];
    case 'dropIndexes':
      return ['dropIndex'];
    case 'dropDatabase':
      return ['dropDatabase'];
    case 'listCollections':
      return ['listCollections'];
    case 'listIndexes':
      return ['listIndexes'];
    case 'collStats':
      return ['collStats'];
    case 'dbStats':
      return ['dbStats'];
    default:
      return undefined;
  }
}

/** The collection a command works on: its first value, or `collection` for getMore. */
function collectionOf(command: Document): string {
  const name = Object.keys(command)[0] ?? '';
  const value = name === 'getMore' ? command.collection : command[name];
  return typeof value === 'string' ? value : '';
}

/** MongoDB's and Cosmos DB's answer to a command the connection's user may not run. */
export function unauthorized(command: Document): ServerError {
  const name = Object.keys(command)[0] ?? '';
  const collection = collectionOf(command);
  return {
    code: 13,
    codeName: 'Unauthorized',
    errmsg: `not authorized on ${String(command.$db)} to execute command { ${name}: ${JSON.stringify(collection || 1)} }`,
  };
}

/**
 * Whether the signed-in `user` (null: nobody yet) may run `command`: undefined when it may, else the
 * error to answer with. Open commands pass; anything else needs a user whose privileges on the
 * command's database and collection hold every action it needs.
 */
export function authorize(user: WireUser | null, command: Document): ServerError | undefined {
  const name = Object.keys(command)[0] ?? '';
  if (OPEN_COMMANDS.has(name.toLowerCase())) return undefined;
  if (!user) return { code: 13, codeName: 'Unauthorized', errmsg: `command ${name} requires authentication` };
  const needed = requiredActions(command);
  const db = String(command.$db);
  const collection = collectionOf(command);
  const granted = new Set(
    user.privileges
      .filter(
        ({ Resource }) => Resource.Db === db && (Resource.Collection === '' || Resource.Collection === collection),
      )
      .flatMap(({ Actions }) => Actions),
  );
  if (needed?.every((action) => granted.has(action))) return undefined;
  return unauthorized(command);
}

const AUTHENTICATION_FAILED: ServerError = {
  code: 18,
  codeName: 'AuthenticationFailed',
  errmsg: 'Authentication failed.',
};
const ITERATIONS = 15_000;

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** `a=1,b=2` → { a: '1', b: '2' } (values may hold `=`). */
function attributes(message: string): Record<string, string> {
  return Object.fromEntries(
    message.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]),
  );
}

/** What a front keeps per connection: the signed-in user, and a SCRAM conversation under way. */
export interface AuthSession {
  user: WireUser | null;
  conversation: {
    user: WireUser;
    clientFirstBare: string;
    serverFirst: string;
    salt: Buffer;
  } | null;
}

export const newSession = (): AuthSession => ({ user: null, conversation: null });

const payloadText = (payload: unknown): string =>
  payload instanceof Binary
    ? Buffer.from(payload.buffer).toString('utf8')
    : Buffer.from(payload as Uint8Array).toString('utf8');

/**
 * The reply to `saslStart`/`saslContinue` for SCRAM-SHA-256 against `users`, updating `session`. A
 * wrong password, an unknown user or another mechanism is `AuthenticationFailed` (18), as MongoDB and
 * Cosmos DB answer; the password never leaves this process.
 */
export function scramStep(users: readonly WireUser[], session: AuthSession, command: Document): Document {
  const name = Object.keys(command)[0] ?? '';
  const failed = () => {
    session.conversation = null;
    return { ok: 0, ...AUTHENTICATION_FAILED };
  };
  if (name === 'saslStart') {
    if (command.mechanism !== 'SCRAM-SHA-256') return failed();
    const clientFirst = payloadText(command.payload);
    // gs2 header "n,," then the bare message "n=<user>,r=<nonce>".
    const clientFirstBare = clientFirst.replace(/^[nyp][^,]*,[^,]*,/, '');
    const { n: userName = '', r: clientNonce = '' } = attributes(clientFirstBare);
    const user = users.find((u) => u.user === userName && u.db === command.$db);
    if (!user || !clientNonce) return failed();
    const salt = randomBytes(16);
    const serverFirst = `r=${clientNonce}${randomBytes(18).toString('base64')},s=${salt.toString('base64')},i=${ITERATIONS}`;
    session.conversation = { user, clientFirstBare, serverFirst, salt };
    return { ok: 1, conversationId: 1, done: false, payload: new Binary(Buffer.from(serverFirst)) };
  }
  const conversation = session.conversation;
  if (!conversation) return failed();
  const clientFinal = payloadText(command.payload);
  const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
  const { r: nonce = '', p: proof = '' } = attributes(clientFinal);
  if (nonce !== attributes(conversation.serverFirst).r) return failed();
  const salted = pbkdf2Sync(conversation.user.password.normalize('NFKC'), conversation.salt, ITERATIONS, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = sha256(clientKey);
  const authMessage = `${conversation.clientFirstBare},${conversation.serverFirst},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const sent = Buffer.from(proof, 'base64');
  if (sent.length !== signature.length) return failed();
  const recovered = sha256(Buffer.from(sent.map((byte, i) => byte ^ signature[i]!)));
  if (!timingSafeEqual(recovered, storedKey)) return failed();
  session.user = conversation.user;
  session.conversation = null;
  const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  return { ok: 1, conversationId: 1, done: true, payload: new Binary(Buffer.from(`v=${serverSignature}`)) };
}
