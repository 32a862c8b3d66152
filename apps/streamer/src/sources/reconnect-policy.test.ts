import { describe, expect, it } from 'vitest';
import { nextReconnect, type DisconnectReason, type ReconnectState } from './reconnect-policy.js';

function delays(reasons: DisconnectReason[], start: ReconnectState | null = null, neverConnected = false): number[] {
  let state = start;
  return reasons.map((reason) => {
    state = nextReconnect(state, reason, neverConnected);
    return state.delayMs;
  });
}

describe('nextReconnect', () => {
  it('reconnects at once when a healthy connection drops', () => {
    for (const reason of ['network', 'stall', 'operational-disconnect'] as const) {
      expect(nextReconnect(null, reason).delayMs).toBe(0);
    }
  });

  it('backs off linearly by 250 ms up to 16 s for network errors', () => {
    const result = delays(Array<DisconnectReason>(70).fill('network'));
    expect(result.slice(0, 5)).toEqual([0, 250, 500, 750, 1000]);
    expect(result[64]).toBe(16_000);
    expect(Math.max(...result)).toBe(16_000);
  });

  it('backs off exponentially from 5 s up to 320 s for HTTP errors', () => {
    expect(delays(Array<DisconnectReason>(9).fill('http'))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 320_000, 320_000,
    ]);
  });

  it('backs off exponentially from 60 s for 429, capped at the 15 minute rate-limit window', () => {
    expect(delays(Array<DisconnectReason>(6).fill('rate-limit'))).toEqual([
      60_000, 120_000, 240_000, 480_000, 900_000, 900_000,
    ]);
  });

  it('starts the new class over when the kind of failure changes', () => {
    expect(delays(['network', 'network', 'http', 'http', 'rate-limit', 'network'])).toEqual([
      0, 250, 5_000, 10_000, 60_000, 250,
    ]);
  });

  it('treats a stall and an operational disconnect like network errors', () => {
    expect(delays(['stall', 'operational-disconnect', 'network'])).toEqual([0, 250, 500]);
  });

  it('backs off from 60 s for TooManyConnections once the source has been connected', () => {
    expect(delays(Array<DisconnectReason>(3).fill('too-many-connections'))).toEqual([60_000, 120_000, 240_000]);
  });

  it('retries TooManyConnections before the first connection briefly (1 s doubling, 31 s in all), then as X says', () => {
    expect(delays(Array<DisconnectReason>(8).fill('too-many-connections'), null, true)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 60_000, 120_000, 240_000,
    ]);
  });

  it('keeps the short retries only while the streak is nothing but TooManyConnections', () => {
    expect(delays(['too-many-connections', 'rate-limit', 'too-many-connections'], null, true)).toEqual([
      1_000, 60_000, 120_000,
    ]);
    expect(delays(['network', 'too-many-connections'], null, true)).toEqual([0, 60_000]);
  });
});
