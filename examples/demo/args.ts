import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS, QUICK_DEFAULTS, type DemoOptions } from './run';

export const USAGE = `Usage: npm run demo -- [options]

  --requests N      profile requests in all, a quarter per phase (default ${DEMO_DEFAULTS.requests}; --quick: ${QUICK_DEFAULTS.requests})
  --concurrency N   requests in flight at most (default ${DEMO_DEFAULTS.concurrency})
  --seed N          seed of the request plan and the fault schedule, 0 – 4294967295 (default ${DEMO_DEFAULTS.seed})
  --duration S      seconds the requests are spread over
                    (default ${DEMO_DEFAULTS.durationMs / 1000}; --quick: ${QUICK_DEFAULTS.durationMs / 1000})
  --quick           the short mode for CI: ${QUICK_DEFAULTS.requests} requests over ${QUICK_DEFAULTS.durationMs / 1000} s
  --json            print the report as JSON on stdout (progress goes to stderr, on a terminal only)
  --help            this text`;

export interface DemoCommand {
  readonly options: DemoOptions;
  readonly json: boolean;
  readonly help: boolean;
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new RangeError(`--${name} must be a whole number; got "${value}"`);
  return Number(value);
}

/** Parses the command line; throws a RangeError/TypeError naming the bad option. */
export function parseDemoArgs(argv: readonly string[]): DemoCommand {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(durationS >= 0 && durationS <= 3_600)) {
    throw new RangeError(`--duration must be a number of seconds from 0 to 3600; got "${values.duration}"`);
  }
  const quick = values.quick === true;
  return {
    options: {
      requests: integer('requests', values.requests) ?? (quick ? QUICK_DEFAULTS.requests : undefined),
      concurrency: integer('concurrency', values.concurrency),
      seed: integer('seed', values.seed),
      durationMs: durationS !== undefined ? Math.round(durationS * 1000) : quick ? QUICK_DEFAULTS.durationMs : undefined,
    },
    json: values.json === true,
    help: values.help === true,
  };
}
