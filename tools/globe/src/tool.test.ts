import { describe, expect, it } from 'vitest';
import { commandLine, redact } from './tool.js';

describe('redact', () => {
  it('replaces every occurrence, longest secret first', () => {
    expect(redact('pw=abcdef and abc, again abcdef', ['abc', 'abcdef'])).toBe('pw=*** and ***, again ***');
  });

  it('ignores empty secrets', () => {
    expect(redact('text', [''])).toBe('text');
  });
});

describe('commandLine', () => {
  it('quotes only the words a shell would split or expand', () => {
    expect(commandLine('kubectl', ['--context', 'kubeonazure-westus', 'apply', '-f', '-'])).toBe(
      'kubectl --context kubeonazure-westus apply -f -',
    );
    expect(commandLine('kubectl', ['create', "--from-literal=k=it's & more"])).toBe(
      `kubectl create '--from-literal=k=it'\\''s & more'`,
    );
  });
});
