// `npm start`: the whole system on one machine — the development database, the streamer
// replaying the shipped sample into it, and the frontend reading it at http://localhost:8080.
import { fileURLToPath } from 'node:url';
import { startDevDatabase } from '@kubeonazure/dev-db';
import { supervise, type Supervised } from '@kubeonazure/tool-kit';
import { lineFormatter } from './log-lines.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const frontendPort = process.env.PORT ?? '8080';
const show = lineFormatter(process.stdout.isTTY === true);

const database = await startDevDatabase();
console.log(`database: ${database.kind}`);

const children: Supervised[] = [];

function start(app: 'streamer' | 'frontend', env: Record<string, string>): void {
  children.push(
    supervise({
      name: app,
      command: process.execPath,
      args: [`apps/${app}/dist/server.js`],
      cwd: root,
      env: { ...process.env, MONGO_URL: database.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
      onLine: (line) => process.stdout.write(show(app, line)),
      onUnexpectedExit: (exit) => {
        // A replay that reached the end of its file exits 0; the frontend keeps serving what it stored.
        if (exit.code === 0) return;
        console.error(`${app} exited (${exit.signal ?? exit.code}); stopping`);
        void stop(1);
      },
    }),
  );
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((child) => child.stop()));
  await database.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// The sample's posts arrive at their recorded spacing with timestamps moved to now, so the page
// reads "newest tweet 2 seconds ago" and keeps moving like the live system.
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
