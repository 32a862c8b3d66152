/** A MongoDB-wire database for local runs and tests. */
export interface DevDatabase {
  /** Connection string, e.g. `mongodb://127.0.0.1:40123/`. */
  readonly url: string;
  /** Where it came from: `MONGO_URL`, a MongoDB testcontainer, or an embedded FerretDB. */
  readonly kind: 'external' | 'testcontainers' | 'ferretdb';
  /** Stops the server and removes its data (a no-op for `external`). */
  stop(): Promise<void>;
  /** Stops and starts the server again on the same url, keeping its data (not for `external`). */
  restart(): Promise<void>;
  /** Stops the server but keeps its data and port, so `restart()` can bring it back. */
  pause(): Promise<void>;
}
