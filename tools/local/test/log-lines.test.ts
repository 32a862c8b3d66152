import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lineFormatter } from '../log-lines.ts';

const record = JSON.stringify({
  level: 30,
  time: Date.UTC(2026, 11, 2, 10, 0, 0),
  pid: 4242,
  hostname: 'box',
  service: 'frontend',
  region: 'local',
  msg: 'listening',
  port: 8080,
});

describe('lineFormatter', () => {
  it('passes every line through unchanged when stdout is not a terminal', () => {
    const show = lineFormatter(false);
    expect(show('frontend', record)).toBe(`${record}\n`);
    expect(show('streamer', 'MONGO_URL: required')).toBe('MONGO_URL: required\n');
  });

  it('pretty-prints a JSON record on one line behind the app name on a terminal', () => {
    expect(stripVTControlCharacters(lineFormatter(true)('frontend', record))).toMatch(
      /^frontend \| \[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening {"region":"local","port":8080}\n$/,
    );
  });

  it('shows a line that is not JSON as it is, behind the app name', () => {
    expect(lineFormatter(true)('streamer', 'MONGO_URL: required')).toBe('streamer | MONGO_URL: required\n');
  });
});
