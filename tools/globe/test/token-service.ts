import { execFile } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RegistryAuth } from '@kubeonazure/images/engine';

/** What the token service saw: the query and the basic login of each token request. */
export interface TokenRequest {
  service: string | null;
  scope: string | null;
  username: string | undefined;
  password: string | undefined;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * Our test's token service for a registry with `auth: token` (the distribution token authentication
 * spec): `GET /token?service=&scope=` with basic credentials, answered with a JWT the registry trusts
 * (RS256, signed by a self-signed certificate in the registry's `rootcertbundle`, sent in `x5c`) granting
 * the scope's actions when `accepts(username, password)`, else 401. It answers with `access_token`, as
 * ACR's `/oauth2/token` does.
 */
export class TokenService {
  readonly requests: TokenRequest[] = [];
  static readonly service = 'globe-test-registry';
  static readonly issuer = 'globe-test-token-service';

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    private readonly key: string,
    private readonly cert: string,
  ) {}

  static async start(accepts: (username: string, password: string) => boolean): Promise<TokenService> {
    const dir = mkdtempSync(path.join(tmpdir(), 'globe-token-service-'));
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=globe test token service'],
      ...['-keyout', path.join(dir, 'token.key'), '-out', path.join(dir, 'token.crt')],
    ]);
    let service: TokenService | undefined;
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
      const login = scheme === 'Basic' ? Buffer.from(encoded ?? '', 'base64').toString() : undefined;
      const colon = login?.indexOf(':') ?? -1;
      const username = login === undefined ? undefined : login.slice(0, colon);
      const password = login === undefined ? undefined : login.slice(colon + 1);
      const scope = url.searchParams.get('scope');
      service?.requests.push({ service: url.searchParams.get('service'), scope, username, password });
      if (url.pathname !== '/token' || username === undefined || !accepts(username, password as string)) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"invalid login"}');
        return;
      }
      const [type, name, actions] = (scope ?? '').split(':');
      const access = scope ? [{ type, name, actions: actions?.split(',') ?? [] }] : [];
      const token = service?.sign(username, access) as string;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token }));
    });
    service = new TokenService(
      server,
      dir,
      readFileSync(path.join(dir, 'token.key'), 'utf8'),
      readFileSync(path.join(dir, 'token.crt'), 'utf8'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get realm(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  /** The registry's `auth` section that sends clients here and trusts these tokens. */
  registryAuth(): RegistryAuth {
    const bundle = path.join(this.dir, 'token.crt');
    return {
      token: {
        realm: this.realm,
        service: TokenService.service,
        issuer: TokenService.issuer,
        rootcertbundle: bundle,
      },
    };
  }

  /** A token as the service issues it: what a push in the test's setup sends. */
  sign(subject: string, access: { type?: string; name?: string; actions: string[] }[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [new X509Certificate(this.cert).raw.toString('base64')] };
    const claims = {
      iss: TokenService.issuer,
      sub: subject,
      aud: TokenService.service,
      exp: now + 600,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signed).sign(this.key);
    return `${signed}.${base64url(signature)}`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An htpasswd file (bcrypt, the only kind the registry reads) with one user, written to `file`. */
export async function writeHtpasswd(file: string, username: string, password: string, python: string): Promise<void> {
  // bcrypt from the Azure CLI's own Python (a dependency of azure-cli): the password goes through stdin.
  const hash = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      python,
      ['-c', 'import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(rounds=4)).decode())'],
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    );
    child.stdin?.end(password);
  });
  writeFileSync(file, `${username}:${hash}\n`);
}
