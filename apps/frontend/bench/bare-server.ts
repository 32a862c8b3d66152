// The limit for the benchmark: the same Fastify, GET / answering with the bytes and headers the
// frontend's `/` sent (BODY_FILE: { headers, body (base64) }, captured by run.ts), nothing else.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const { headers, body } = JSON.parse(readFileSync(String(process.env.BODY_FILE), 'utf8')) as {
  headers: Record<string, string>;
  body: string;
};
const bytes = Buffer.from(body, 'base64');
const app = Fastify();
app.get('/', async (_request, reply) => reply.headers(headers).send(bytes));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close());
