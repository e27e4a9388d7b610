import { fmtInt, table } from '../lib/markdown';
import { COUNT_NODE_FLAGS, type InstructionCount, type InstructionResult } from './instructions';

interface Row extends InstructionCount {
  /** Minus the side's no-interceptor reference. */
  readonly extra: number;
  /** Client only: minus "traceparent set by hand" (our code beyond the header's own cost). */
  readonly extraOverHeader: number | undefined;
}

function rows(result: InstructionResult): Row[] {
  const perCall = (id: string) => result.counts.find((c) => c.id === id)?.perCall ?? NaN;
  return result.counts.map((c) => ({
    ...c,
    extra: c.perCall - perCall(`${c.side}-none`),
    extraOverHeader: c.side === 'client' ? c.perCall - perCall('client-traceparent') : undefined,
  }));
}

export function instructionsMarkdown(result: InstructionResult, machine: string): string {
  const all = rows(result);
  const side = (s: 'client' | 'server') => all.filter((r) => r.side === s);
  const parts = [
    '## Micro-benchmark: instructions per call (callgrind)',
    '',
    machine,
    `- ${result.valgrind}; node ${COUNT_NODE_FLAGS.join(' ')}`,
    `- per variant: two processes, ${fmtInt(result.warmup)} warm-up calls then ${fmtInt(result.calls)} or ${fmtInt(2 * result.calls)} calls; ` +
      'instructions per call = difference of the two totals / ' +
      `${fmtInt(result.calls)}. Includes GC and JIT work done on the main thread; repeatable to about ±100 instructions per call`,
    '- the same variants and fake channel as the timed micro-benchmark; instructions are not time (cache misses and branch mispredictions are not counted), but they compare code changes without the machine\'s noise',
    '',
    '### Client',
    '',
    table(
      ['variant', 'instructions/call', 'extra vs none', 'extra vs traceparent by hand'],
      side('client').map((r) => [`${r.label} (\`${r.id}\`)`, fmtInt(r.perCall), fmtInt(r.extra), fmtInt(r.extraOverHeader)]),
    ),
    '',
    '### Server',
    '',
    table(
      ['variant', 'instructions/call', 'extra vs none'],
      side('server').map((r) => [`${r.label} (\`${r.id}\`)`, fmtInt(r.perCall), fmtInt(r.extra)]),
    ),
    '',
  ];
  if (result.skipped.length) parts.push('### Skipped', '', ...result.skipped.map((s) => `- \`${s.id}\`: ${s.reason}`), '');
  return parts.join('\n');
}

export function instructionsSummary(result: InstructionResult): string {
  return rows(result)
    .map(
      (r) =>
        `  ${r.id.padEnd(20)} ${fmtInt(r.perCall).padStart(8)} instr/call  extra ${fmtInt(r.extra).padStart(7)}` +
        (r.extraOverHeader !== undefined ? `  over header ${fmtInt(r.extraOverHeader).padStart(7)}` : ''),
    )
    .join('\n');
}
