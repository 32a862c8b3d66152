import { describe, expect, it } from 'vitest';
import { withDeadline } from './lease-store.js';

describe('withDeadline', () => {
  it('passes an answer in time through, and its failure', async () => {
    expect(await withDeadline(Promise.resolve('claimed'), 1_000)).toBe('claimed');
    await expect(withDeadline(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('fails an operation that does not answer in time, whatever it does later', async () => {
    let late!: (value: string) => void;
    const hung = new Promise<string>((resolve) => {
      late = resolve;
    });
    await expect(withDeadline(hung, 20)).rejects.toThrow('no answer within 20 ms');
    late('too late');
  });
});
