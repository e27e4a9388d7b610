import type { LogLine } from '../services/log';
import type { DemoProgress } from './run';
import type { BreakerChange, DemoReport, InjectedFaults, PhaseReport } from './report-types';

/** `/example.users.v1.UserService/GetUser` → `UserService/GetUser`; trace ids the header already shows are dropped. */
function tidy(text: string): string {
  return text
    .replace(/\/?example\.\w+\.v1\.(\w+)\//g, '$1/')
    .replace(/, trace id [0-9a-f]{32}\)/g, ')')
    .replace(/ \(trace id [0-9a-f]{32}\)/g, '');
}

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);
const list = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');

function pad(text: string | number, width: number, left = false): string {
  const s = String(text);
  return left ? s.padEnd(width) : s.padStart(width);
}

function faults(name: string, f: InjectedFaults): string | undefined {
  const parts: string[] = [];
  if (f.outage > 0) parts.push(`${f.outage} outage`);
  const errors = f.errors - f.outage;
  if (errors > 0) parts.push(`${errors} ${errors === 1 ? 'error' : 'errors'}`);
  if (f.stalls > 0) parts.push(`${f.stalls} ${f.stalls === 1 ? 'stall' : 'stalls'}`);
  return parts.length > 0 ? `${name} ${parts.join(' + ')}` : undefined;
}

const COLUMNS = [24, 9, 6, 10, 11, 8, 9, 8, 8];

function row(cells: readonly (string | number)[], last: string): string {
  return `  ${cells.map((cell, i) => pad(cell, COLUMNS[i], i === 0)).join('')}   ${last}`;
}

function phaseRow(p: PhaseReport, n: number): string {
  const injected = [faults('users', p.injected.users), faults('preferences', p.injected.preferences)].filter(Boolean).join('; ') || 'latency only';
  const { p50, p99 } = p.latencyMs;
  return row([`${n} ${p.title}`, p.requests, p.ok, p.degraded, p.notFound, p.failed, sum(p.retries), p50.toFixed(1), p99.toFixed(1)], injected);
}

const SERVICE_NAMES: Record<string, string> = {
  users: 'user service',
  preferences: 'preferences service',
  profile: 'profile service',
  client: 'client',
};
const serviceName = (service: string) => SERVICE_NAMES[service] ?? service;

/** A google.rpc detail without its empty fields. */
function detailText(detail: { type: string; value: unknown }): string {
  const fields = Object.entries(detail.value as Record<string, unknown>).filter(
    ([, v]) => v !== '' && v !== undefined && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0),
  );
  return `${detail.type} { ${fields.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')} }`;
}

/** `preferences/example.preferences.v1.PreferencesService/GetPreferences` → `preferences GetPreferences`. */
function breakerName(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : `${key.slice(0, slash)} ${key.slice(key.lastIndexOf('/') + 1)}`;
}

function timelineRow(change: BreakerChange, titles: ReadonlyMap<string, string>): string {
  const at = pad(`+${(change.atMs / 1000).toFixed(2)} s`, 9);
  const phase = pad(titles.get(change.phase) ?? change.phase, 20, true);
  return `  ${at}  ${phase} ${pad(breakerName(change.breaker), 28, true)} ${change.from} → ${change.to}`;
}

function logRow(line: LogLine, atMs?: number): string {
  const time = atMs === undefined ? '' : `${pad(`+${atMs} ms`, 9)}  `;
  return `  ${time}${pad(line.service, 12, true)}${pad(line.level, 6, true)}${tidy(line.msg)}`;
}

function errorText(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, message } = err as { type?: string; message?: string };
  return message === undefined ? undefined : `${type ?? 'Error'}: ${message}`;
}

/** The human-readable report. */
export function formatReport(report: DemoReport): string {
  const out: string[] = [];
  const titles = new Map(report.phases.map((p) => [p.name as string, p.title]));
  out.push(
    'grpc-resilience demo: a profile service that calls a user service (critical) and a preferences service (non-critical)',
    `seed ${report.seed} · ${report.options.requests} requests · concurrency ${report.options.concurrency} · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    'PHASES',
    row(['', 'requests', 'ok', 'degraded', 'not found', 'failed', 'retries', 'p50 ms', 'p99 ms'], 'faults injected'),
  );
  report.phases.forEach((p, i) => out.push(phaseRow(p, i + 1)));
  out.push('');
  report.phases.forEach((p, i) => {
    const notes = [
      p.failed > 0 ? `failed: ${list(p.failedByCode)}` : undefined,
      sum(p.retries) > 0 ? `retries: ${list(p.retries)}` : undefined,
      sum(p.fallbacks) > 0 ? `fallbacks: ${list(p.fallbacks)}` : undefined,
      sum(p.breakerRejects) > 0 ? `refused by an open breaker: ${list(p.breakerRejects)}` : undefined,
    ].filter(Boolean);
    out.push(`  ${i + 1} ${p.title}: ${p.expect}.`);
    if (notes.length > 0) out.push(`      ${notes.join(' · ')}`);
  });

  out.push('', 'BREAKER TIMELINE');
  if (report.breakerTimeline.length === 0) out.push('  (no breaker changed state)');
  for (const change of report.breakerTimeline) out.push(timelineRow(change, titles));

  const trace = report.trace;
  out.push('', `ONE REQUEST THROUGH THREE SERVICES, BY ITS TRACE ID`);
  if (!trace) {
    out.push('  (no request reached all three services)');
  } else {
    out.push(`  trace id ${trace.traceId} · ${titles.get(trace.phase)} · user ${trace.userId}`, `  (${trace.why})`);
    for (const line of trace.lines) out.push(logRow(line, line.atMs));
  }

  const internal = report.internalError;
  out.push('', 'ONE INTERNAL ERROR: WHAT THE SERVERS LOGGED, WHAT THE CLIENT RECEIVED');
  if (!internal) {
    out.push('  (no request failed with INTERNAL)');
  } else {
    out.push(`  trace id ${internal.traceId} · ${titles.get(internal.phase)} · user ${internal.userId}`);
    for (const service of ['users', 'profile']) {
      const lines = internal.serverLog.filter((line) => line.service === service);
      if (lines.length === 0) continue;
      const times = lines.length > 1 ? ` (${lines.length} times, once per attempt)` : '';
      out.push(`  the ${serviceName(service)} logged${times}:`, logRow(lines[0]));
      const downstream = lines[0].downstream as { codeName?: string; details?: string } | undefined;
      const err = errorText(lines[0].err);
      if (downstream) out.push(`${pad('', 20)}its dependency answered: ${downstream.codeName} "${downstream.details}"`);
      else if (err) out.push(`${pad('', 20)}err: ${err}`);
    }
    const { received } = internal;
    out.push(
      '  the client received:',
      `${pad('', 4)}${received.codeName} "${received.message}"`,
      `${pad('', 4)}details: ${received.details.map(detailText).join(', ')}`,
      `${pad('', 4)}trailers: ${Object.entries(received.trailers)
        .filter(([key]) => key !== 'date' && key !== 'content-type')
        .map(([key, value]) => `${key}: ${value}`)
        .join(', ')}`,
    );
  }
  const { leaks } = report;
  const inLogs = Object.entries(leaks.logLinesBySecret).map(([service, n]) => `${n} log lines of the ${serviceName(service)}`).join(', ') || 'no log line';
  out.push(
    '',
    `LEAK CHECK: the fake secret in the user service's internal error ("${leaks.secret}")`,
    `  appears in ${inLogs}, and in ${leaks.responsesLeaking} of the ${leaks.responsesChecked} responses the client received.`,
  );
  return out.join('\n');
}

/** One progress line (the live line on a terminal, or a periodic line in a log). */
export function progressLine(p: DemoProgress): string {
  const breakers = Object.entries(p.breakers)
    .map(([target, state]) => `${target} ${state}`)
    .join(', ');
  const phase = `[${p.phaseNumber}/${p.phaseCount} ${p.phase}${p.phaseDone ? ', done' : ''}]`;
  const counts = `ok ${p.ok} · degraded ${p.degraded} · not found ${p.notFound} · failed ${p.failed} · retries ${p.retries}`;
  return `${phase} ${p.done}/${p.total} requests · ${counts} · breakers: ${breakers}`;
}
