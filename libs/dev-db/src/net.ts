import { pollUntil } from '@kubeonazure/tool-kit';
import { MongoClient } from 'mongodb';

export interface ReachableOptions {
  timeoutMs?: number;
  /** Ends the wait early, e.g. the server's process exited (see Supervised.exitSignal). */
  signal?: AbortSignal;
}

/** Resolves once a MongoDB-wire server at `url` answers `ping`. */
export async function waitUntilReachable(url: string, options: ReachableOptions = {}): Promise<void> {
  await pollUntil(
    async () => {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
      try {
        await client.db('admin').command({ ping: 1 });
        return true;
      } finally {
        await client.close();
      }
    },
    {
      what: `database at ${new URL(url).host}`,
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}
