import { createRequire } from 'node:module';

/** The subset of `@opentelemetry/api` this package uses. */
export interface OpenTelemetryApi {
  trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string; traceFlags: number } } | undefined;
  };
  metrics: {
    getMeter(name: string, version?: string): unknown;
  };
}

let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it installed, else undefined. It is an optional
 * peer dependency: without it nothing breaks and nothing is recorded. Loaded once, lazily.
 */
export function openTelemetry(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** The active OpenTelemetry span's context when one is recording a valid trace, else undefined. */
export function activeOtelSpanContext(): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const span = openTelemetry()?.trace.getActiveSpan();
  if (!span) return undefined;
  const ctx = span.spanContext();
  return ctx.traceId !== '00000000000000000000000000000000' ? ctx : undefined;
}
