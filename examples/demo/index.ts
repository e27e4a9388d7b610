// The demo as a library: `runDemo(options)` resolves with the report `npm run demo -- --json` prints.
export { runDemo, DEMO_DEFAULTS, QUICK_DEFAULTS, type DemoOptions, type DemoProgress } from './run';
export { formatReport, progressLine } from './format';
export { parseDemoArgs, USAGE } from './args';
export { PHASES, type Phase } from './phases';
export type * from './report-types';
