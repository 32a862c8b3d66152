import { prettyFactory } from 'pino-pretty';

/**
 * How `npm start` shows a line an app printed. On a terminal: pino's JSON pretty-printed, one line per
 * record behind the app's name. Otherwise unchanged, so a pipe or a file gets the JSON the apps wrote
 * (each line names its `service`). A line that is not JSON (a configuration error) passes as it is.
 */
export function lineFormatter(terminal: boolean): (app: string, line: string) => string {
  if (!terminal) return (_app, line) => `${line}\n`;
  const pretty = prettyFactory({
    ignore: 'pid,hostname,service',
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
  });
  return (app, line) =>
    pretty(line)
      .trimEnd()
      .split('\n')
      .map((text) => `${app.padEnd(8)} | ${text}\n`)
      .join('');
}
