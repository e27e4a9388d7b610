import { runDemo } from './run';
runDemo({ requests: Number(process.argv[2] ?? 200), durationMs: Number(process.argv[3] ?? 3000), concurrency: Number(process.argv[4] ?? 16) }).then((r) => {
  const { trace, faultSchedule, ...rest } = r;
  console.log(JSON.stringify(rest, null, 1));
  console.log(JSON.stringify(trace?.lines.map((l) => `${l.atMs} ${l.service} ${l.level} ${l.msg}`), null, 1));
  console.log(Object.entries(faultSchedule).map(([m, l]) => m + ' ' + l.slice(0, 20).join(',')).join('\n'));
  console.log(process.getActiveResourcesInfo());
});
