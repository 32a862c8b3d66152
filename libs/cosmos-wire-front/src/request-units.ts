// What a command costs in request units (RU), and the per-second budget a throttled front enforces.
//
// The cost model follows Cosmos DB's published figures (https://learn.microsoft.com/azure/cosmos-db/request-units,
// .../optimize-cost-reads-writes): a point read of a 1 KB item is 1 RU, and more per KB; an insert of a
// 1 KB item about 5-6 RU with default indexing; a replace or delete about twice that; a query a few RU
// of its own plus what it loads and returns. The front cannot see documents scanned, so a query is
// charged by what it returns. Handshakes and heartbeats are free, as Cosmos DB does not bill them.

/** One command as the front saw it go through: its name, its size and its reply's (bytes). */
export interface ChargedCommand {
  name: string;
  command: Record<string, unknown>;
  requestBytes: number;
  replyBytes: number;
}

export const RU_PER_KB_POINT_READ = 1;
export const RU_PER_KB_INSERT = 6;
export const RU_PER_KB_UPDATE_OR_DELETE = 10;
/** A query's own cost before what it returns (its compilation and index lookups). */
export const RU_QUERY_BASE = 2;

const READS = new Set(['find', 'getMore', 'aggregate', 'count', 'distinct']);
const UPDATES_OR_DELETES: Record<string, string> = { update: 'updates', delete: 'deletes', findAndModify: '' };

const kilobytes = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** A `find` of one document by `_id` alone: what Cosmos DB calls a point read. */
function isPointRead(command: Record<string, unknown>): boolean {
  const filter = command.filter as Record<string, unknown> | undefined;
  return (
    command.find !== undefined && filter !== undefined && Object.keys(filter).join() === '_id' && command.limit === 1
  );
}

/** The request units `charged` costs, by the model above (whole RU, at least 1). */
export function requestCharge(charged: ChargedCommand): number {
  const { name, command, requestBytes, replyBytes } = charged;
  if (isPointRead(command)) return RU_PER_KB_POINT_READ * kilobytes(replyBytes);
  if (READS.has(name)) return RU_QUERY_BASE + kilobytes(replyBytes);
  // A write is charged per document, each at least a KB.
  if (name === 'insert') {
    const documents = (command.documents as unknown[] | undefined)?.length ?? 1;
    return RU_PER_KB_INSERT * Math.max(documents, kilobytes(requestBytes));
  }
  const statements = UPDATES_OR_DELETES[name];
  if (statements !== undefined) {
    const count = statements ? ((command[statements] as unknown[] | undefined)?.length ?? 1) : 1;
    return RU_PER_KB_UPDATE_OR_DELETE * Math.max(count, kilobytes(requestBytes));
  }
  return 1;
}

/**
 * A provisioned throughput of `perSecond` RU: within each wall-clock second the commands admitted may
 * spend it; once it is spent, commands are refused until the next second, which is how long
 * `RetryAfterMs` asks them to wait. A command admitted with budget left is charged in full, as Cosmos
 * DB lets the request that crosses the line complete.
 */
export class RequestUnitBudget {
  private second = -1;
  private spent = 0;

  constructor(readonly perSecond: number) {
    if (!(perSecond > 0)) throw new Error(`a request-unit budget must be positive, not ${perSecond}`);
  }

  /** null when a command may go now, else the milliseconds until the budget renews. */
  admit(nowMs: number): number | null {
    this.roll(nowMs);
    return this.spent < this.perSecond ? null : 1000 - (nowMs % 1000);
  }

  charge(requestUnits: number, nowMs: number): void {
    this.roll(nowMs);
    this.spent += requestUnits;
  }

  private roll(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second === this.second) return;
    this.second = second;
    this.spent = 0;
  }
}
