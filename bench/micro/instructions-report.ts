import { fmtInt, table } from '../lib/markdown';
import { COUNT_NODE_FLAGS, type InstructionCount, type InstructionResult } from './instructions';

interface Row extends InstructionCount {
  /** Minus the side's no-interceptor reference. */
  readonly extra: number;
  /** Client only: minus "traceparent set by hand" (our code beyond the header's own cost). */
  readonly extraOverHeader: number | undefined;
  readonly extraBytes: number;
  readonly extraBytesOverHeader: number | undefined;
}

function rows(result: InstructionResult): Row[] {
  const find = (id: string) => result.counts.find((c) => c.id === id);
  return result.counts.map((c) => {
    const none = find(`${c.side}-none`);
    const header = c.side === 'client' ? find('client-traceparent') : undefined;
    return {
      ...c,
      extra: c.perCall - (none?.perCall ?? NaN),
      extraOverHeader: header && c.perCall - header.perCall,
      extraBytes: c.bytesPerCall - (none?.bytesPerCall ?? NaN),
      extraBytesOverHeader: header && c.bytesPerCall - header.bytesPerCall,
    };
  });
}

export function instructionsMarkdown(result: InstructionResult, machine: string): string {
  const all = rows(result);
  const side = (s: 'client' | 'server') => all.filter((r) => r.side === s);
  const parts = [
    '## Micro-benchmark: instructions per call (callgrind)',
    '',
    machine,
    `- ${result.valgrind}; node ${COUNT_NODE_FLAGS.join(' ')}`,
    `- per variant: two processes, ${fmtInt(result.warmup)} warm-up calls ` +
      `then ${fmtInt(result.calls)} or ${fmtInt(2 * result.calls)} calls; ` +
      `instructions per call = difference of the two totals / ${fmtInt(result.calls)}. ` +
      'JIT work on the main thread is counted; garbage collection is not (see bytes allocated); ' +
        'repeatable to about ±20 instructions per call',
    `- bytes allocated per call: growth of the used heap over ${fmtInt(Math.min(result.calls, 2000))} calls with no collection in between, ` +
      'in a native run (median of three; they differ by a few dozen bytes per call)',
    '- the same variants and fake channel as the timed micro-benchmark; instructions are not time ' +
      "(cache misses and branch mispredictions are not counted), but they compare code changes without the machine's noise",
    '',
    '### Client',
    '',
    table(
      ['variant', 'instructions/call', 'extra vs none', 'extra vs traceparent by hand', 'bytes/call', 'extra bytes vs none', 'extra bytes vs traceparent by hand'],
      side('client').map((r) => [
        `${r.label} (\`${r.id}\`)`,
        fmtInt(r.perCall),
        fmtInt(r.extra),
        fmtInt(r.extraOverHeader),
        fmtInt(r.bytesPerCall),
        fmtInt(r.extraBytes),
        fmtInt(r.extraBytesOverHeader),
      ]),
    ),
    '',
    '### Server',
    '',
    table(
      ['variant', 'instructions/call', 'extra vs none', 'bytes/call', 'extra bytes vs none'],
      side('server').map((r) => [`${r.label} (\`${r.id}\`)`, fmtInt(r.perCall), fmtInt(r.extra), fmtInt(r.bytesPerCall), fmtInt(r.extraBytes)]),
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
        (r.extraOverHeader !== undefined ? `  over header ${fmtInt(r.extraOverHeader).padStart(7)}` : '                     ') +
        `  ${fmtInt(r.bytesPerCall).padStart(6)} B/call  extra ${fmtInt(r.extraBytes).padStart(6)} B`,
    )
    .join('\n');
}
