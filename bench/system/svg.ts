/**
 * A small SVG line-chart writer for the benchmark's plots: linear or logarithmic y axis, shaded
 * x ranges (fault windows), a legend, gaps where a series has no value. No dependencies.
 */

export interface Scale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Maps [d0, d1] linearly onto [r0, r1] (a point domain maps to the middle of the range). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
  return Object.assign(f, { domain, range });
}

/** Maps [d0, d1] (both > 0) logarithmically onto [r0, r1]; values ≤ 0 go to the bottom end. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  if (!(domain[0] > 0 && domain[1] > 0)) throw new RangeError(`a log scale needs a positive domain; got [${domain.join(', ')}]`);
  const inner = linearScale([Math.log10(domain[0]), Math.log10(domain[1])], range);
  const f = (v: number) => (v > 0 ? inner(Math.log10(v)) : range[0]);
  return Object.assign(f, { domain, range });
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Axis bounds widened to whole steps, and the ticks between them. */
export function niceTicks(min: number, max: number, count = 5): { min: number; max: number; ticks: number[] } {
  if (max < min) [min, max] = [max, min];
  if (max === min) max = min + 1;
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-9; k++) ticks.push(roundTo(lo + k * step, step));
  return { min: lo, max: hi, ticks };
}

/** Log axis bounds widened to 1, 2 or 5 × 10^k, with ticks at those values. */
export function logTicks(min: number, max: number): { min: number; max: number; ticks: number[] } {
  if (!(min > 0)) throw new RangeError(`log ticks need a positive minimum; got ${min}`);
  if (max < min) [min, max] = [max, min];
  const candidates: number[] = [];
  for (let p = Math.floor(Math.log10(min)) - 1; p <= Math.ceil(Math.log10(max)) + 1; p++) {
    for (const m of [1, 2, 5]) candidates.push(roundTo(m * 10 ** p, 10 ** Math.min(p, 0)));
  }
  const lo = Math.max(...candidates.filter((c) => c <= min * (1 + 1e-9)));
  const hi = Math.min(...candidates.filter((c) => c >= max * (1 - 1e-9)));
  const top = hi === lo ? candidates[candidates.indexOf(hi) + 1] : hi;
  return { min: lo, max: top, ticks: candidates.filter((c) => c >= lo && c <= top) };
}

function roundTo(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(digits, 12)));
}

/** A tick label: at most three significant digits, thousands as k. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

export interface ChartSeries {
  readonly label: string;
  /** One value per x; NaN leaves a gap. */
  readonly values: readonly number[];
  readonly color: string;
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly yScale?: 'linear' | 'log';
  /** Shaded x ranges, e.g. the fault window. */
  readonly bands?: readonly { readonly from: number; readonly to: number; readonly label: string }[];
  /** Lowest y shown on a log axis (values below sit on the axis). */
  readonly logFloor?: number;
  readonly width?: number;
  readonly height?: number;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (v: number) => Number(v.toFixed(1));

type Attributes = Readonly<Record<string, string | number | undefined>>;

/** One SVG element: attributes escaped (undefined ones left out), text content escaped. */
export function element(name: string, attributes: Attributes, text?: string): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escape(String(typeof v === 'number' ? px(v) : v))}"`)
    .join('');
  return text === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${escape(text)}</${name}>`;
}

const DASH = '6 4';

/** Renders a chart as a standalone SVG document. */
export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 380;
  const legendWidth = 230;
  const margin = { top: 40, right: legendWidth + 20, bottom: 48, left: 64 };
  const plotRight = width - margin.right;
  const plotBottom = height - margin.bottom;

  const xs = chart.x;
  const xAxis = niceTicks(Math.min(...xs), Math.max(...xs), 8);
  const x = linearScale([xAxis.min, xAxis.max], [margin.left, plotRight]);
  const values = chart.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const log = chart.yScale === 'log';
  const floor = chart.logFloor ?? 1;
  const positives = values.filter((v) => v > 0);
  const low = Math.max(floor, positives.length > 0 ? Math.min(...positives) : floor);
  const yAxis = log ? logTicks(low, Math.max(low * 2, ...positives)) : niceTicks(0, Math.max(1, ...values), 5);
  const y = (log ? logScale : linearScale)([yAxis.min, yAxis.max], [plotBottom, margin.top]);
  const yOf = (v: number) => y(log ? Math.max(v, yAxis.min) : v);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
      ' font-family="Helvetica, Arial, sans-serif" font-size="12">',
    element('rect', { width, height, fill: '#ffffff' }),
    element('text', { x: margin.left, y: 22, 'font-size': 15, 'font-weight': 'bold' }, chart.title),
  ];
  for (const band of chart.bands ?? []) {
    const x0 = x(Math.max(band.from, xAxis.min));
    const x1 = x(Math.min(band.to, xAxis.max));
    const area = { x: x0, y: margin.top, width: Math.max(1, x1 - x0), height: plotBottom - margin.top };
    out.push(
      element('rect', { ...area, fill: '#f4cccc', 'fill-opacity': 0.6 }),
      element('text', { x: x0 + 4, y: margin.top + 14, fill: '#990000', 'font-size': 11 }, band.label),
    );
  }
  for (const t of yAxis.ticks) {
    out.push(
      element('line', { x1: margin.left, x2: plotRight, y1: y(t), y2: y(t), stroke: '#e0e0e0' }),
      element('text', { x: margin.left - 6, y: y(t) + 4, 'text-anchor': 'end', fill: '#444' }, formatTick(t)),
    );
  }
  for (const t of xAxis.ticks) {
    out.push(
      element('line', { x1: x(t), x2: x(t), y1: plotBottom, y2: plotBottom + 5, stroke: '#444' }),
      element('text', { x: x(t), y: plotBottom + 18, 'text-anchor': 'middle', fill: '#444' }, formatTick(t)),
    );
  }
  const yLabel = `${chart.yLabel}${log ? ' (log scale)' : ''}`;
  out.push(
    element('line', { x1: margin.left, x2: plotRight, y1: plotBottom, y2: plotBottom, stroke: '#444' }),
    element('line', { x1: margin.left, x2: margin.left, y1: margin.top, y2: plotBottom, stroke: '#444' }),
    element('text', { x: (margin.left + plotRight) / 2, y: height - 10, 'text-anchor': 'middle', fill: '#222' }, chart.xLabel),
    element(
      'text',
      { transform: `translate(16 ${px((margin.top + plotBottom) / 2)}) rotate(-90)`, 'text-anchor': 'middle', fill: '#222' },
      yLabel,
    ),
  );
  chart.series.forEach((s, i) => {
    const dash = s.dashed ? DASH : undefined;
    const d = pathData(xs, s.values, x, yOf);
    if (d)
      out.push(
        element('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-dasharray': dash }),
      );
    const ly = margin.top + 8 + i * 20;
    const lx = plotRight + 20;
    out.push(
      element('line', { x1: lx, x2: lx + 24, y1: ly, y2: ly, stroke: s.color, 'stroke-width': 3, 'stroke-dasharray': dash }),
      element('text', { x: lx + 30, y: ly + 4, fill: '#222' }, s.label),
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Line segments through the finite points; a NaN ends a segment. A lone point gets a dot-length line. */
export function pathData(xs: readonly number[], ys: readonly number[], x: (v: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  let open = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) {
      open = false;
      continue;
    }
    const next = ys[i + 1];
    const lone = !open && !Number.isFinite(next);
    parts.push(`${open ? 'L' : 'M'}${px(x(xs[i]))} ${px(y(v))}`);
    if (lone) parts.push(`h0.1`);
    open = true;
  }
  return parts.join(' ');
}
