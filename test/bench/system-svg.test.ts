import { describe, expect, it } from 'vitest';
import { formatTick, lineChartSvg, linearScale, logScale, logTicks, niceStep, niceTicks, pathData } from '../../bench/system/svg';

describe('SVG chart maths', () => {
  it('maps linear and log scales, upside down for the y axis', () => {
    const y = linearScale([0, 200], [300, 100]);
    expect(y(0)).toBe(300);
    expect(y(200)).toBe(100);
    expect(y(50)).toBe(250);
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
    const log = logScale([1, 1000], [300, 0]);
    expect(log(1)).toBe(300);
    expect(log(10)).toBeCloseTo(200);
    expect(log(1000)).toBeCloseTo(0);
    expect(log(0)).toBe(300); // nothing to take a log of: the bottom
    expect(() => logScale([0, 10], [0, 1])).toThrow(/positive domain/);
  });

  it('picks 1-2-5 steps and widens the axis to whole steps', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0.9, 5)).toBe(0.2);
    expect(niceStep(30, 5)).toBe(10);
    expect(niceTicks(0, 87, 5)).toEqual({ min: 0, max: 100, ticks: [0, 20, 40, 60, 80, 100] });
    expect(niceTicks(0.5, 19.5, 8)).toEqual({ min: 0, max: 20, ticks: [0, 5, 10, 15, 20] });
    const fractions = niceTicks(0, 0.7, 5);
    expect(fractions.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(3, 3).max).toBeGreaterThan(3); // a flat series still gets an axis
  });

  it('puts log ticks at 1, 2 and 5 × 10^k around the data', () => {
    expect(logTicks(12, 480)).toEqual({ min: 10, max: 500, ticks: [10, 20, 50, 100, 200, 500] });
    expect(logTicks(0.3, 4)).toEqual({ min: 0.2, max: 5, ticks: [0.2, 0.5, 1, 2, 5] });
    expect(logTicks(100, 100)).toEqual({ min: 100, max: 200, ticks: [100, 200] });
    expect(() => logTicks(0, 10)).toThrow(/positive minimum/);
  });

  it('formats ticks briefly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(2.5)).toBe('2.5');
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(1200)).toBe('1200');
    expect(formatTick(25_000)).toBe('25k');
  });

  it('breaks lines at missing values and keeps a lone point visible', () => {
    const id = (v: number) => v;
    expect(pathData([0, 1, 2, 3, 4], [1, 2, NaN, 4, NaN], id, id)).toBe('M0 1 L1 2 M3 4 h0.1');
    expect(pathData([0, 1], [NaN, NaN], id, id)).toBe('');
  });

  it('renders a chart with its title, axes, band, legend and one path per series', () => {
    const svg = lineChartSvg({
      title: 'goodput <&> "over time"',
      xLabel: 'time (s)',
      yLabel: 'calls / s',
      x: [0.5, 1.5, 2.5, 3.5],
      series: [
        { label: 'bare', values: [100, 0, 0, 100], color: '#555555' },
        { label: 'ours', values: [100, 50, NaN, 100], color: '#009E73' },
        { label: 'offered', values: [100, 100, 100, 100], color: '#999999', dashed: true },
      ],
      bands: [{ from: 1, to: 3, label: 'fault' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('goodput &lt;&amp;&gt; &quot;over time&quot;');
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('>fault</text>');
    for (const label of ['bare', 'ours', 'offered']) expect(svg).toContain(`>${label}</text>`);
    // Tags balance: every opened element is closed or self-closed.
    const opened = (svg.match(/<(svg|text)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|text)>/g) ?? []).length;
    expect(opened).toBe(closed);
    const log = lineChartSvg({
      title: 'p99',
      xLabel: 't',
      yLabel: 'ms',
      x: [1, 2],
      series: [{ label: 'a', values: [12, 480], color: '#000' }],
      yScale: 'log',
    });
    expect(log).toContain('(log scale)');
    expect(log).toContain('>500</text>');
  });
});
