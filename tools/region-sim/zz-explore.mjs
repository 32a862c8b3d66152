import { setTimeout as sleep } from 'node:timers/promises';
import { RegionSet } from './dist/region-set.js';
import { runLoad } from './dist/load/generator.js';
const set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: 2 });
try {
  await sleep(5000);
  const u = () => set.tier.get('uksouth').front.usage;
  let a = u();
  await sleep(5000);
  let b = u();
  console.log('idle 5s uksouth', b.commands - a.commands, 'cmds', b.requestUnits - a.requestUnits, 'RU');
  for (const mix of [{ page: 50, olderPage: 5, firstApi: 40, olderApi: 5 }]) {
    a = u();
    const r = await runLoad({
      targets: [{ name: 'uk', url: set.entryUrl('uk') }],
      visitors: 20,
      liveClients: 10,
      durationMs: 8000,
      maxRequests: 20000,
      mix,
    });
    b = u();
    console.log(
      'burst unthrottled',
      JSON.stringify(r.targets[0]),
      'cmds',
      b.commands - a.commands,
      'RU',
      b.requestUnits - a.requestUnits,
      (r.elapsedMs / 1000).toFixed(1),
    );
  }
  await set.fault('uksouth', { kind: 'throttle', requestUnitsPerSecond: 100 });
  a = u();
  const states = [];
  const iv = setInterval(async () => {
    const e = await set.entryStates();
    states.push(e.uk?.uksouth);
  }, 500);
  const r = await runLoad({
    targets: [{ name: 'uk', url: set.entryUrl('uk') }],
    visitors: 20,
    liveClients: 10,
    durationMs: 10000,
    maxRequests: 20000,
  });
  clearInterval(iv);
  b = u();
  console.log(
    'burst throttled 100',
    JSON.stringify(r.targets[0]),
    'usage',
    JSON.stringify({ c: b.commands - a.commands, ru: b.requestUnits - a.requestUnits, t: b.throttled - a.throttled }),
    states.join(','),
  );
} finally {
  await set.stop();
}
