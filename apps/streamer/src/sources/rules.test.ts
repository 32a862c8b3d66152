import { describe, expect, it } from 'vitest';
import { diffRules, wantedRules } from './rules.js';

describe('wantedRules', () => {
  it('makes one rule per term, tagged with the term', () => {
    expect(wantedRules(['docker', 'kubernetes'])).toEqual([
      { value: 'docker', tag: 'docker' },
      { value: 'kubernetes', tag: 'kubernetes' },
    ]);
  });
});

describe('diffRules', () => {
  it('adds missing rules, deletes unwanted ones and keeps the rest', () => {
    const existing = [
      { id: '1', value: 'docker', tag: 'docker' },
      { id: '2', value: 'moby', tag: 'moby' },
    ];
    const changes = diffRules(existing, wantedRules(['docker', 'kubernetes']));
    expect(changes.add).toEqual([{ value: 'kubernetes', tag: 'kubernetes' }]);
    expect(changes.delete).toEqual([{ id: '2', value: 'moby', tag: 'moby' }]);
    expect(changes.keep).toEqual([{ id: '1', value: 'docker', tag: 'docker' }]);
  });

  it('replaces a rule whose tag differs, and an untagged one', () => {
    const existing = [
      { id: '1', value: 'docker', tag: 'old' },
      { id: '2', value: 'kubernetes' },
    ];
    const changes = diffRules(existing, wantedRules(['docker', 'kubernetes']));
    expect(changes.delete.map((rule) => rule.id)).toEqual(['1', '2']);
    expect(changes.add.map((rule) => rule.value)).toEqual(['docker', 'kubernetes']);
    expect(changes.keep).toEqual([]);
  });

  it('changes nothing when the stream already has exactly the wanted rules', () => {
    const existing = [{ id: '1', value: 'docker', tag: 'docker' }];
    expect(diffRules(existing, wantedRules(['docker']))).toEqual({ add: [], delete: [], keep: existing });
  });

  it('starts from an empty stream', () => {
    expect(diffRules([], wantedRules(['docker']))).toEqual({
      add: [{ value: 'docker', tag: 'docker' }],
      delete: [],
      keep: [],
    });
  });
});
