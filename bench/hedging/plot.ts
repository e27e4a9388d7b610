/** A grouped bar chart as SVG text (no browser): one group per measure, one bar per series. */

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
}

const COLOURS = ['#8c8c8c', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Bars on a linear scale from 0, each labelled with its value. */
export function barChartSvg(title: string, groups: readonly string[], series: readonly Series[], unit: string): string {
  const width = 760;
  const height = 380;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 70 + 18 * series.length;
  const plotHeight = height - top - bottom + 18 * series.length;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const scale = niceCeiling(max);
  const groupWidth = (width - left - right) / groups.length;
  const barWidth = (groupWidth * 0.8) / series.length;
  const y = (v: number) => top + plotHeight - (v / scale) * plotHeight;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 18 * series.length}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (scale * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${round(v)}</text>`);
  }
  parts.push(`<text x="14" y="${top + plotHeight / 2}" transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle">${escape(unit)}</text>`);
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + groupWidth * 0.1;
    series.forEach((s, i) => {
      const v = s.values[g];
      if (!Number.isFinite(v)) return;
      const x = x0 + i * barWidth;
      parts.push(`<rect x="${x}" y="${y(v)}" width="${barWidth - 2}" height="${top + plotHeight - y(v)}" fill="${COLOURS[i % COLOURS.length]}"/>`);
      parts.push(`<text x="${x + barWidth / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="11">${round(v)}</text>`);
    });
    parts.push(`<text x="${left + g * groupWidth + groupWidth / 2}" y="${top + plotHeight + 18}" text-anchor="middle">${escape(group)}</text>`);
  });
  series.forEach((s, i) => {
    const ly = top + plotHeight + 40 + i * 18;
    parts.push(`<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`);
    parts.push(`<text x="${left + 18}" y="${ly}">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** 1, 2 or 5 × a power of ten, at least `v`. */
function niceCeiling(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}
