// What a virtual visitor asks for next: the traffic mix, the paths it becomes, and the older-page
// cursors visitors have seen. Pure, so the generator's choices are reproducible from a seed.
import { isIP } from 'node:net';

/** A visitor's request: the first page (`/`), an older page (`/?before=`), the API's first page, an older API page. */
export const ACTIONS = ['page', 'olderPage', 'firstApi', 'olderApi'] as const;
export type Action = (typeof ACTIONS)[number];

/** Relative weights of the actions (any scale; 0 leaves one out). */
export type Mix = Record<Action, number>;

/** Mostly first-page views, as a public feed gets; a fifth of visitors page back. */
export const DEFAULT_MIX: Mix = { page: 60, olderPage: 10, firstApi: 20, olderApi: 10 };

export function validateMix(mix: Mix): Mix {
  for (const action of ACTIONS) {
    const weight = mix[action];
    if (!(Number.isFinite(weight) && weight >= 0)) throw new Error(`mix: ${action} needs a weight >= 0, not ${weight}`);
  }
  if (ACTIONS.every((action) => mix[action] === 0)) throw new Error('mix: every weight is 0');
  return mix;
}

/** The action a random number in [0, 1) picks, each in proportion to its weight. */
export function pickAction(mix: Mix, random: number): Action {
  const total = ACTIONS.reduce((sum, action) => sum + mix[action], 0);
  let left = random * total;
  for (const action of ACTIONS) {
    left -= mix[action];
    if (left < 0) return action;
  }
  // random * total rounded up to total: the last action with any weight.
  return ACTIONS.findLast((action) => mix[action] > 0) ?? 'page';
}

/** The path for `action`; an older page needs a cursor, and without one the visitor asks the API's first page (which gives one). */
export function pathFor(action: Action, cursor: string | null): { action: Action; path: string } {
  const before = cursor === null ? '' : encodeURIComponent(cursor);
  if (action === 'page') return { action, path: '/' };
  if (action === 'firstApi' || cursor === null) return { action: 'firstApi', path: '/api/tweets' };
  return { action, path: action === 'olderPage' ? `/?before=${before}` : `/api/tweets?before=${before}` };
}

/** mulberry32: a small seeded generator, so a run's mix can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The older-page cursors a target's API answers gave (`nextCursor`), the newest `capacity` kept. */
export class CursorPool {
  private readonly cursors: string[] = [];

  constructor(private readonly capacity = 64) {}

  add(cursor: string | null | undefined): void {
    if (!cursor || this.cursors.includes(cursor)) return;
    this.cursors.push(cursor);
    if (this.cursors.length > this.capacity) this.cursors.shift();
  }

  /** One of the cursors (null while there is none), chosen by a random number in [0, 1). */
  pick(random: number): string | null {
    return this.cursors[Math.floor(random * this.cursors.length)] ?? null;
  }

  get size(): number {
    return this.cursors.length;
  }
}

/** Whether `url` is on this machine: the generator sends nothing elsewhere. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
