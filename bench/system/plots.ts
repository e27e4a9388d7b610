import type { CellFigures } from './figures';
import type { Scenario } from './scenarios';
import { lineChartSvg, type ChartSeries } from './svg';
import { SYSTEM_VARIANTS, type SystemVariant } from './variants';

/** Colour-blind-safe colours (Okabe–Ito), one per variant in table order; bare grpc-js is dark grey. */
const PALETTE = ['#555555', '#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2', '#F0E442'];

export function variantColor(id: string): string {
  const k = SYSTEM_VARIANTS.findIndex((v) => v.id === id);
  return PALETTE[(k < 0 ? SYSTEM_VARIANTS.length : k) % PALETTE.length];
}

export interface Plot {
  /** File name inside the plots folder. */
  readonly file: string;
  readonly caption: string;
  readonly svg: string;
}

type SeriesKey = 'goodput' | 'p99' | 'bottomAttempts';

const PLOTS: readonly { key: SeriesKey; name: string; caption: string; yLabel: string; log?: boolean }[] = [
  {
    key: 'goodput',
    name: 'goodput',
    caption: 'goodput over time (successful calls per second within their deadline)',
    yLabel: 'successful calls / s',
  },
  { key: 'p99', name: 'p99', caption: 'p99 latency of successful calls over time', yLabel: 'p99 latency, ms', log: true },
  {
    key: 'bottomAttempts',
    name: 'attempts',
    caption: 'executions at the back tier per client call, by call start',
    yLabel: 'back executions per call',
  },
];

/** The plots of one scenario: goodput, p99 and back-tier attempts over time, one line per variant. */
export function scenarioPlots(scenario: Scenario, variants: readonly SystemVariant[], cells: readonly CellFigures[]): Plot[] {
  const mine = variants
    .map((v) => ({ v, cell: cells.find((c) => c.scenario === scenario.id && c.variant === v.id) }))
    .filter((x) => x.cell);
  if (mine.length === 0) return [];
  const windowMs = mine[0].cell!.series.windowMs;
  const x = mine[0].cell!.series.goodput.map((_, k) => ((k + 0.5) * windowMs) / 1000);
  const { fromMs, toMs } = scenario.window;
  const wholeRun = fromMs === 0 && toMs >= x.length * windowMs;
  const bands = wholeRun
    ? []
    : [
        {
          from: fromMs / 1000,
          to: Math.max(toMs, fromMs + windowMs / 4) / 1000,
          label: scenario.id.startsWith('overload') ? 'overload' : 'fault',
        },
      ];
  return PLOTS.map((p) => {
    const series: ChartSeries[] = mine.map(({ v, cell }) => ({ label: v.label, values: cell!.series[p.key], color: variantColor(v.id) }));
    if (p.key === 'goodput') series.push({ label: 'offered load', values: mine[0].cell!.series.offered, color: '#999999', dashed: true });
    return {
      file: `${scenario.id}-${p.name}.svg`,
      caption: `${scenario.title}: ${p.caption}`,
      svg: lineChartSvg({
        title: `${scenario.title}: ${p.caption.split(' (')[0]}`,
        xLabel: 'time (s)',
        yLabel: p.yLabel,
        x,
        series,
        yScale: p.log ? 'log' : 'linear',
        bands,
      }),
    };
  });
}
