// The limit for the benchmark: the same Fastify, a constant string, nothing else.
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => 'hello');
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close());
