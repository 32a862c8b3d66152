import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Document } from 'bson';
import { type AuthSession, authorize, newSession, scramStep, type WireUser } from './auth.js';
import { throttledError } from './errors.js';
import { helloKind, replicaSetHello, type TopologyView } from './hello.js';
import { RequestUnitBudget, requestCharge } from './request-units.js';
import { ScriptedErrors, type Handling } from './scripted-errors.js';
import { encodeOpMsg, encodeReply, FrameSplitter, readReply, readRequest, type WireRequest } from './wire.js';

export interface WireFrontOptions {
  /** Listen on this port (0, the default: any free one). */
  port?: number;
  /** The account as this member shows it; without one the front answers the handshake as its database does. */
  view?: TopologyView | null;
  /** Keep every command (handshakes left out) for `commands()`; off by default, as a long-running front would grow without end. */
  record?: boolean;
  /**
   * The account's role-based users: with them the front signs clients in itself (SCRAM-SHA-256) and
   * answers every command outside the signed-in user's privileges with Unauthorized (13), as Cosmos DB
   * does with role-based access control; the database behind it is used without credentials. Without
   * them every command passes, as with an account key.
   */
  users?: readonly WireUser[];
}

/** The faults a front has now (`faults`), as `throttle`, `delay`, `stall` and `refuse` set them. */
export interface WireFaults {
  /** Provisioned RU/s beyond which commands are throttled (16500); null: unlimited. */
  requestUnitsPerSecond: number | null;
  /** Added before every request, handshakes and heartbeats too. */
  latencyMs: number;
  stalled: boolean;
  refused: boolean;
}

/**
 * What a front was sent since it started, as running totals (callers take differences): commands
 * (handshakes and heartbeats left out, as Cosmos DB does not bill them), the request units the ones
 * answered by the database cost by the cost model (`requestCharge`), and how many were throttled.
 */
export interface WireUsage {
  commands: number;
  requestUnits: number;
  throttled: number;
}

/**
 * One Cosmos DB member's MongoDB wire front on 127.0.0.1, in front of a real database. It answers the
 * handshake (`hello`, `isMaster`) as a member of the account's replica set would, answers with the
 * errors a test scripts (`errors`), brings the faults it is given (a request-unit budget, latency, a
 * stall, refused connections), and passes everything else through, byte for byte. The handshake
 * itself also goes to the database, so a front whose database is gone is unreachable, and the limits
 * it reports are the database's.
 */
export class WireFront {
  readonly host = '127.0.0.1';
  /** Errors to answer with instead of the database. */
  readonly errors = new ScriptedErrors();
  private readonly sockets = new Set<Socket>();
  /** Per open connection: delivers the requests held while stalled. */
  private readonly pending = new Set<() => void>();
  private stalled = false;
  private refused = false;
  private latencyMs = 0;
  private budget: RequestUnitBudget | null = null;
  private readonly log: Document[] | null;
  private readonly users: readonly WireUser[] | null;
  private readonly counted: WireUsage = { commands: 0, requestUnits: 0, throttled: 0 };
  private server: Server | undefined;
  private listenPort: number;
  private currentView: TopologyView | null;

  private constructor(
    private readonly upstream: URL,
    options: WireFrontOptions,
  ) {
    this.listenPort = options.port ?? 0;
    this.currentView = options.view ?? null;
    this.log = options.record ? [] : null;
    this.users = options.users ?? null;
  }

  /** Starts a front in front of the database at `databaseUrl` (a `mongodb://` connection string). */
  static async start(databaseUrl: string, options: WireFrontOptions = {}): Promise<WireFront> {
    const front = new WireFront(new URL(databaseUrl), options);
    await front.start();
    return front;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `127.0.0.1:<port>`, as drivers and `hosts` name it. */
  get address(): string {
    return `${this.host}:${this.listenPort}`;
  }

  /** The database's connection string pointed at this front alone (`directConnection`). */
  get url(): string {
    const url = new URL(this.upstream);
    url.host = this.address;
    url.searchParams.set('directConnection', 'true');
    return url.toString();
  }

  get view(): TopologyView | null {
    return this.currentView;
  }

  /** The region this member stands for (its `region` tag). */
  get region(): string | undefined {
    return this.currentView?.tags.region;
  }

  /** A new view (e.g. after a failover) applies to the next handshake or heartbeat on every connection. */
  setView(view: TopologyView | null): void {
    this.currentView = view;
  }

  /** The commands this front was sent (with `record`), handshakes and heartbeats left out, oldest first. */
  commands(name?: string): Document[] {
    if (!this.log) throw new Error('this front does not record commands: start it with { record: true }');
    return this.log.filter((command) => name === undefined || Object.keys(command)[0] === name);
  }

  /** Commands, request units and throttled commands so far (always counted, unlike `record`). */
  get usage(): WireUsage {
    return { ...this.counted };
  }

  /**
   * Holds every request from now on, on every connection, new ones too: unanswered, the connection
   * open, as a frozen server or a cut network path leaves them. `resume` delivers them in order.
   */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const deliver of this.pending) deliver();
  }

  /**
   * Provisions `requestUnitsPerSecond` (null: unlimited): commands are charged by `requestCharge`, and
   * once a second's budget is spent the rest are answered 16500 with `RetryAfterMs` until the next.
   */
  throttle(requestUnitsPerSecond: number | null): void {
    this.budget = requestUnitsPerSecond === null ? null : new RequestUnitBudget(requestUnitsPerSecond);
  }

  /** Adds `ms` before every request from now on (0: none), as a longer network path does. */
  delay(ms: number): void {
    if (!(ms >= 0)) throw new Error(`latency must be 0 or more ms, not ${ms}`);
    this.latencyMs = ms;
  }

  /** Closes the listener and drops every connection: connecting is refused until `clear`. */
  async refuse(): Promise<void> {
    this.refused = true;
    await this.stop();
  }

  /** Takes every fault away: unlimited, no latency, held requests delivered, listening again on the same port. */
  async clear(): Promise<void> {
    this.throttle(null);
    this.delay(0);
    this.resume();
    this.refused = false;
    await this.start();
  }

  get faults(): WireFaults {
    return {
      requestUnitsPerSecond: this.budget?.perSecond ?? null,
      latencyMs: this.latencyMs,
      stalled: this.stalled,
      refused: this.refused,
    };
  }

  /** Listens (again, on the same port once it had one), unless refusing. */
  async start(): Promise<void> {
    if (this.server || this.refused) return;
    const server = createServer((client) => this.accept(client));
    server.listen(this.listenPort, this.host);
    await once(server, 'listening');
    this.server = server;
    this.listenPort = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every connection, as a member that went away. */
  async stop(): Promise<void> {
    const closing = this.server;
    this.server = undefined;
    if (!closing) return;
    for (const socket of this.sockets) socket.destroy();
    closing.close();
    await once(closing, 'close');
  }

  close(): Promise<void> {
    return this.stop();
  }

  /**
   * What to do with one command: the handshake as a member, else signing in and refusing what the
   * connection's user may not do (with users), else throttled when the budget is spent, else what the
   * test scripted, else pass.
   */
  private handle(request: WireRequest, session: AuthSession): Handling {
    const hello = helloKind(request.name);
    if (hello) {
      // Signing in is this front's: the mechanisms it offers, and no speculative sign-in (the driver
      // then sends saslStart, answered here).
      const mechanisms = this.users && typeof request.command.saslSupportedMechs === 'string';
      if (!this.currentView && !this.users) return undefined;
      return {
        rewriteReply: (reply) => {
          let answer =
            reply.ok === 1 && this.currentView ? replicaSetHello(reply, this.currentView, hello === 'legacy') : reply;
          if (mechanisms) answer = { ...answer, saslSupportedMechs: ['SCRAM-SHA-256'] };
          delete answer.speculativeAuthenticate;
          return answer;
        },
      };
    }
    if (this.users) {
      if (request.name === 'saslStart' || request.name === 'saslContinue')
        return { reply: scramStep(this.users, session, request.command) };
      const refused = authorize(session.user, request.command);
      if (refused) return { reply: { ok: 0, ...refused } };
    }
    this.log?.push(request.command);
    this.counted.commands += 1;
    const waitMs = this.budget?.admit(Date.now()) ?? null;
    if (waitMs !== null) {
      this.counted.throttled += 1;
      return { reply: { ok: 0, ...throttledError(waitMs) } };
    }
    return this.errors.handle(request.name, request.command);
  }

  /** One client connection: its own connection to the database, messages relayed in order both ways. */
  private accept(client: Socket): void {
    const database = createConnection({ host: this.upstream.hostname, port: Number(this.upstream.port || 27017) });
    client.setNoDelay(true);
    database.setNoDelay(true);
    this.sockets.add(client).add(database);

    // requestId of a forwarded request -> how to rewrite its reply.
    const rewrites = new Map<number, (reply: Document) => Document>();
    // requestId of a forwarded command -> what to charge when its reply comes.
    const charges = new Map<number, { name: string; command: Document; requestBytes: number }>();
    const session = newSession();
    const request = (frame: Buffer) => {
      const command = readRequest(frame);
      const handling = command && this.handle(command, session);
      if (command && !helloKind(command.name) && !(handling && 'reply' in handling))
        charges.set(command.requestId, { name: command.name, command: command.command, requestBytes: frame.length });
      if (!command || !handling) return void database.write(frame);
      if ('reply' in handling)
        return void client.write(encodeReply(command.opCode, handling.reply, command.requestId, command.requestId));
      if (handling.rewriteReply) rewrites.set(command.requestId, handling.rewriteReply);
      database.write(handling.forward ? encodeOpMsg(handling.forward, command.requestId, 0) : frame);
    };
    // Requests that came while stalled, delivered by `resume`.
    const held: Buffer[] = [];
    const deliver = () => {
      for (const frame of held.splice(0)) request(frame);
    };
    this.pending.add(deliver);
    const close = () => {
      this.pending.delete(deliver);
      client.destroy();
      database.destroy();
      this.sockets.delete(client);
      this.sockets.delete(database);
    };
    client.on('error', close).on('close', close);
    database.on('error', close).on('close', close);
    const arrive = (frame: Buffer) => (this.stalled ? void held.push(frame) : request(frame));
    relay(client, (frame) => (this.latencyMs > 0 ? void setTimeout(arrive, this.latencyMs, frame) : arrive(frame)));
    relay(database, (frame) => {
      const responseTo = frame.readInt32LE(8);
      const charged = charges.get(responseTo);
      if (charged) {
        charges.delete(responseTo);
        const requestUnits = requestCharge({ ...charged, replyBytes: frame.length });
        this.counted.requestUnits += requestUnits;
        this.budget?.charge(requestUnits, Date.now());
      }
      const rewrite = rewrites.get(responseTo);
      const reply = rewrite && readReply(frame);
      if (!rewrite || !reply) return void client.write(frame);
      rewrites.delete(responseTo);
      client.write(encodeReply(frame.readInt32LE(12), rewrite(reply), frame.readInt32LE(4), responseTo));
    });
  }
}

/** Calls `onFrame` with each whole message read from `socket`; a malformed stream drops the connection. */
function relay(socket: Socket, onFrame: (frame: Buffer) => void): void {
  const splitter = new FrameSplitter();
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of splitter.push(chunk)) onFrame(frame);
    } catch (error) {
      socket.destroy(error as Error);
    }
  });
}
