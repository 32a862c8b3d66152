import { describe, expect, it } from 'vitest';
import { accountViews, electionId, helloKind, replicaSetHello, type TopologyView } from './hello.js';

const ferretdb = {
  ismaster: true,
  maxWireVersion: 21,
  maxBsonObjectSize: 16_777_216,
  topologyVersion: { counter: 0 },
  ok: 1,
};
const hosts = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'];
const view = (me: string, primary: string | null, term = 1): TopologyView => ({
  hosts,
  me,
  primary,
  term,
  tags: { region: 'UK South' },
});

describe('replicaSetHello', () => {
  it('answers as the primary for the write region, keeping the database limits', () => {
    const hello = replicaSetHello(ferretdb, view('127.0.0.1:1', '127.0.0.1:1'), false);
    expect(hello).toMatchObject({
      isWritablePrimary: true,
      secondary: false,
      setName: 'globaldb',
      hosts,
      me: '127.0.0.1:1',
      primary: '127.0.0.1:1',
      maxWireVersion: 21,
      ok: 1,
    });
    expect(hello.electionId).toEqual(electionId(1));
    expect(hello).not.toHaveProperty('ismaster');
    expect(hello).not.toHaveProperty('topologyVersion');
  });

  it('answers as a tagged secondary for a read region, legacy isMaster spelling', () => {
    const hello = replicaSetHello(ferretdb, view('127.0.0.1:2', '127.0.0.1:1'), true);
    expect(hello).toMatchObject({
      ismaster: false,
      secondary: true,
      primary: '127.0.0.1:1',
      tags: { region: 'UK South' },
    });
    expect(hello).not.toHaveProperty('electionId');
  });

  it('names no primary while the account has none (between a region loss and a failover)', () => {
    const hello = replicaSetHello(ferretdb, view('127.0.0.1:1', null), false);
    expect(hello).toMatchObject({ isWritablePrimary: false, secondary: true });
    expect(hello).not.toHaveProperty('primary');
    expect(hello).not.toHaveProperty('electionId');
  });

  it('gives later terms greater election ids, so drivers believe the new primary', () => {
    expect(electionId(2).toHexString() > electionId(1).toHexString()).toBe(true);
    expect(electionId(16).toHexString() > electionId(15).toHexString()).toBe(true);
  });
});

describe('accountViews', () => {
  it('gives every member the same hosts and primary, and its own address and region tag', () => {
    const members = hosts.map((address, index) => ({
      address,
      region: ['West US', 'UK South', 'Southeast Asia'][index]!,
    }));
    const views = accountViews(members, '127.0.0.1:1', 3);
    expect(views[1]).toEqual({
      hosts,
      me: '127.0.0.1:2',
      primary: '127.0.0.1:1',
      term: 3,
      tags: { region: 'UK South' },
    });
    expect(views.map((v) => v.me)).toEqual(hosts);
    expect(accountViews(members, null, 4).every((v) => v.primary === null)).toBe(true);
  });
});

describe('helloKind', () => {
  it('recognises hello and every isMaster casing, nothing else', () => {
    expect(helloKind('hello')).toBe('hello');
    expect(helloKind('isMaster')).toBe('legacy');
    expect(helloKind('ismaster')).toBe('legacy');
    expect(helloKind('find')).toBeNull();
  });
});
