import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { headings } from '../../scripts/markdown-links';

/** A GitHub-flavoured markdown table; `align` marks numeric columns right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  const sep = headers.map((_, i) => (i >= numericFrom ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(sep), ...rows.map(line)].join('\n');
}

/** Fixed-precision number, or '–' for NaN/undefined. */
export function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

/** Thousands-separated integer. */
export function fmtInt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Math.round(value).toLocaleString('en-US');
}

/** `median (min–max)` as one cell. */
export function spread(med: number, lo: number, hi: number, digits = 2): string {
  if (!Number.isFinite(med)) return '–';
  return `${med.toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})`;
}

export function mib(bytes: number): string {
  return fmt(bytes / (1024 * 1024), 1);
}

const HEADER =
  '# Benchmark results\n\nWritten by `npm run bench`; see [the benchmarks](README.md) for how to run them and what each table means.\n';

/**
 * Replaces one named section of a results file, keeping the others, so the end-to-end, micro and
 * soak runs (often made at different times) can share one file.
 */
export function writeSection(file: string, name: string, body: string, order: readonly string[]): void {
  const sections = new Map<string, string>();
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const re = /<!-- section:([a-z0-9-]+) -->\n([\s\S]*?)<!-- \/section:\1 -->/g;
    for (const m of text.matchAll(re)) sections.set(m[1], m[2]);
  }
  sections.set(name, body.endsWith('\n') ? body : `${body}\n`);
  const names = [...order.filter((n) => sections.has(n)), ...[...sections.keys()].filter((n) => !order.includes(n))];
  const out = names.map((n) => `<!-- section:${n} -->\n${sections.get(n)}<!-- /section:${n} -->\n`).join('\n');
  writeFileSync(file, `${HEADER}\n${contents(`${HEADER}\n${out}`)}\n${out}`);
}

/** A list of the page's second-level headings (the sections), linked to their anchors. */
function contents(page: string): string {
  const items = headings(page).filter((h) => h.depth === 2).map((h) => `- [${h.text}](#${h.anchor})`);
  return `**Contents**\n\n${items.join('\n')}\n`;
}
