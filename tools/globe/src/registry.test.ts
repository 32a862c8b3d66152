import { describe, expect, it } from 'vitest';
import { acrName, parseChallenge, registryAndPath, registryBaseUrl } from './registry.js';

describe('registry addresses', () => {
  it('splits the registry host (with its port) from the repository path', () => {
    expect(registryAndPath('127.0.0.1:5000/kubeonazure/frontend')).toEqual({
      registry: '127.0.0.1:5000',
      path: 'kubeonazure/frontend',
    });
    expect(() => registryAndPath('frontend')).toThrow('image repository frontend names no registry');
  });

  it('speaks plain HTTP to a registry on this machine only', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000/v2/');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000/v2/');
    expect(registryBaseUrl('myacr.azurecr.io')).toBe('https://myacr.azurecr.io/v2/');
  });
});

describe('registry logins', () => {
  it('reads a WWW-Authenticate challenge as ACR and distribution send it', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://contosoacr.azurecr.io/oauth2/token",service="contosoacr.azurecr.io",scope="repository:kubeonazure/frontend:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://contosoacr.azurecr.io/oauth2/token',
        service: 'contosoacr.azurecr.io',
        scope: 'repository:kubeonazure/frontend:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('')).toEqual({ scheme: '', params: {} });
  });

  it('asks az for the login of an ACR only', () => {
    expect(acrName('contosoacr.azurecr.io')).toBe('contosoacr');
    expect(acrName('127.0.0.1:5000')).toBeUndefined();
    expect(acrName('contosoacr.azurecr.io.example.com')).toBeUndefined();
  });
});
