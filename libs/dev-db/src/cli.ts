// `npm run db`: the development database in the foreground until Ctrl-C / SIGTERM.
import { startDevDatabase } from './start-dev-database.js';

const database = await startDevDatabase().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
if (database.kind === 'external') {
  // Never echo a given MONGO_URL: it may carry a password.
  console.error('database: MONGO_URL from the environment');
} else {
  console.error(`database: ${database.kind} (Ctrl-C to stop)`);
  console.log(`MONGO_URL=${database.url}`);
}

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await database.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
