import { describe, expect, it } from 'vitest';
import { registryAndPath, registryBaseUrl } from './registry.js';

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
