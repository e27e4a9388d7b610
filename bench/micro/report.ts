import type { BenchConfig } from '../lib/args';
import { fmt, spread, table } from '../lib/markdown';
import { max, median, min } from '../lib/stats';
import type { MicroResult } from './measure';

interface Row {
  readonly id: string;
  readonly label: string;
  readonly side: 'client' | 'server';
  readonly us: { med: number; min: number; max: number };
  /** Paired per round: this variant's µs/call minus the no-interceptor reference's. */
  readonly extra: { med: number; min: number; max: number };
  /** Client only: minus the "traceparent set by hand" reference (our code's cost beyond the header). */
  readonly extraOverHeader: { med: number; min: number; max: number };
  readonly errors: number;
}

const triple = (xs: number[]) => ({ med: median(xs), min: min(xs), max: max(xs) });

function paired(result: MicroResult, id: string, ref: string): number[] {
  const out: number[] = [];
  for (const s of result.samples) {
    if (s.variant !== id) continue;
    const r = result.samples.find((x) => x.variant === ref && x.round === s.round);
    if (r) out.push((s.nsPerCall - r.nsPerCall) / 1000);
  }
  return out;
}

export function microRows(result: MicroResult): Row[] {
  return result.variants.map((v) => {
    const mine = result.samples.filter((s) => s.variant === v.id);
    return {
      ...v,
      us: triple(mine.map((s) => s.nsPerCall / 1000)),
      extra: triple(paired(result, v.id, `${v.side}-none`)),
      extraOverHeader: v.side === 'client' ? triple(paired(result, v.id, 'client-traceparent')) : triple([]),
      errors: mine.reduce((n, s) => n + s.errors, 0),
    };
  });
}

function targetLines(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  // What bare grpc-js pays to send the header our stack sends: the trace piece's target is judged
  // on our code's cost beyond it (as the end-to-end targets are judged against bare + traceparent).
  const beyond = (r: Row) => `; beyond the traceparent header's own cost: ${fmt(r.extraOverHeader.med, 2)} µs`;
  const stack = rows.find((r) => r.id === 'client-stack');
  if (stack) {
    lines.push(`- client stack: ${fmt(stack.extra.med, 2)} µs extra per call (target ≤ 3 µs: ${verdict(stack.extra.med <= 3)})${beyond(stack)}`);
  }
  for (const r of rows.filter((x) => x.side === 'client' && !['client-none', 'client-traceparent', 'client-stack', 'client-stack-events'].includes(x.id))) {
    if (r.id === 'client-trace') {
      lines.push(
        `- client ${r.label}: ${fmt(r.extra.med, 2)} µs extra per call, of which ${fmt(r.extraOverHeader.med, 2)} µs beyond the header ` +
          `bare grpc-js pays too (target ≤ 1 µs for our code: ${verdict(r.extraOverHeader.med <= 1)})`,
      );
    } else {
      lines.push(`- client ${r.label}: ${fmt(r.extra.med, 2)} µs extra per call (target ≤ 1 µs: ${verdict(r.extra.med <= 1)})`);
    }
  }
  return lines;
}

export function microMarkdown(result: MicroResult, config: Pick<BenchConfig, 'pin'>, machine: string): string {
  const rows = microRows(result);
  const side = (s: 'client' | 'server') => rows.filter((r) => r.side === s);
  const parts = [
    '## Micro-benchmark: interceptors over an in-process fake channel (no network)',
    '',
    machine,
    `- ${result.rounds} interleaved rounds × ${result.iterations.toLocaleString('en-US')} calls per variant (after one unmeasured round), ` +
      `batches of 128 concurrent calls; ${config.pin ? 'pinned to core 0' : 'not pinned'}`,
    '- µs/call = process CPU time (user + system, GC threads included) / calls, so other load on the machine inflates it less ' +
      'than wall time; "extra" is paired per round against the reference',
    '',
    '### Targets',
    '',
    ...targetLines(rows),
    '',
    '### Client (a grpc-js Client with `channelOverride` = a fake channel answering on a microtask)',
    '',
    table(
      ['variant', 'µs/call median (min–max)', 'extra vs none µs (min–max)', 'extra vs traceparent by hand µs', 'errors'],
      side('client').map((r) => [
        `${r.label} (\`${r.id}\`)`,
        spread(r.us.med, r.us.min, r.us.max, 2),
        spread(r.extra.med, r.extra.min, r.extra.max, 2),
        fmt(r.extraOverHeader.med, 2),
        String(r.errors),
      ]),
    ),
    '',
    '### Server (grpc-js server interceptor composition over a fake base call, unary handler as grpc-js runs it)',
    '',
    table(
      ['variant', 'µs/call median (min–max)', 'extra vs none µs (min–max)', 'errors'],
      side('server').map((r) => [
        `${r.label} (\`${r.id}\`)`,
        spread(r.us.med, r.us.min, r.us.max, 2),
        spread(r.extra.med, r.extra.min, r.extra.max, 2),
        String(r.errors),
      ]),
    ),
    '',
  ];
  if (result.skipped.length) {
    parts.push('### Skipped', '', ...result.skipped.map((s) => `- \`${s.id}\` (${s.side} ${s.label}): ${s.reason}`), '');
  }
  return parts.join('\n');
}

export function microSummary(result: MicroResult): string {
  const rows = microRows(result);
  const lines = rows.map(
    (r) =>
      `  ${r.id.padEnd(20)} ${fmt(r.us.med, 2).padStart(7)} µs/call  ` +
          `extra ${fmt(r.extra.med, 2)} µs (${fmt(r.extra.min, 2)}–${fmt(r.extra.max, 2)})` +
      (r.errors ? `  ${r.errors} errors` : ''),
  );
  return [...lines, ...targetLines(rows), ...result.skipped.map((s) => `  skipped ${s.id}: ${s.reason}`)].join('\n');
}
