// `npm start`: the whole system on one machine — the development database, the streamer
// replaying the shipped sample into it, and the frontend reading it at http://localhost:8080.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startDevDatabase } from '@kubeonazure/dev-db';

const root = fileURLToPath(new URL('../../', import.meta.url));
const frontendPort = process.env.PORT ?? '8080';

const database = await startDevDatabase();
console.log(`database: ${database.kind}`);

const children = new Map<string, ChildProcess>();

function start(app: 'streamer' | 'frontend', env: Record<string, string>): void {
  const child = spawn(process.execPath, [`apps/${app}/dist/server.js`], {
    cwd: root,
    env: { ...process.env, MONGO_URL: database.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) console.log(`${app.padEnd(8)} | ${line}`);
    });
  }
  child.once('exit', (code, signal) => {
    children.delete(app);
    // A replay that reached the end of its file exits 0; the frontend keeps serving what it stored.
    if (!stopping && code !== 0) {
      console.error(`${app} exited (${signal ?? code}); stopping`);
      void stop(1);
    }
  });
  children.set(app, child);
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    [...children.values()].map((child) => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      return exited;
    }),
  );
  await database.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// The sample's posts arrive at their recorded spacing with timestamps moved to now, so the page
// reads "newest tweet 2 s ago" and keeps moving like the live system.
start('streamer', {
  STREAMER_SOURCE: 'replay',
  REPLAY_TIMESTAMPS: 'shifted-to-now',
  REPLAY_RATE: process.env.REPLAY_RATE ?? '0',
  REGION: 'westus',
  OPS_PORT: '9464',
});
// Both apps' ops ports (OPS_PORT) default to 9464; on one machine the frontend's moves.
start('frontend', { PORT: frontendPort, OPS_PORT: '9465', REGION: process.env.REGION ?? 'local' });
console.log(`frontend: http://localhost:${frontendPort}  (Ctrl-C stops everything)`);
