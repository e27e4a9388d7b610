import { booleanOption, keysOf, objectOption } from '../internal/validate';

const HEADER_NAME = /^[0-9a-z_.-]+$/;

export interface TraceOptions {
  /**
   * Name of the plain trace-id header (default `x-trace-id`). Servers accept it when no valid
   * `traceparent` came and return it; clients send it only when `sendTraceIdHeader` is true.
   */
  readonly traceIdHeader?: string;
  /** Client: also send the plain trace-id header next to `traceparent` (costs ~2 µs per call). Default false. */
  readonly sendTraceIdHeader?: boolean;
  /** Server: accept the caller's trace id (default true). False for edge servers: always generate. */
  readonly trustIncoming?: boolean;
  /** Server: return the trace-id header on every response, not only errors and new ids. Default false. */
  readonly alwaysEcho?: boolean;
  /** Use the active OpenTelemetry span's trace id when `@opentelemetry/api` is installed. Default true. */
  readonly openTelemetry?: boolean;
}

export interface ResolvedTraceOptions {
  readonly traceIdHeader: string;
  readonly sendTraceIdHeader: boolean;
  readonly trustIncoming: boolean;
  readonly alwaysEcho: boolean;
  readonly openTelemetry: boolean;
}

const OPTION_KEYS = keysOf<TraceOptions>({ traceIdHeader: true, sendTraceIdHeader: true, trustIncoming: true, alwaysEcho: true, openTelemetry: true });

export function resolveTraceOptions(value: TraceOptions | undefined, name = 'trace'): ResolvedTraceOptions {
  const o = objectOption<TraceOptions>(name, value, OPTION_KEYS);
  const header = o.traceIdHeader ?? 'x-trace-id';
  if (typeof header !== 'string' || !HEADER_NAME.test(header) || header.endsWith('-bin') || header.startsWith('grpc-')) {
    throw new TypeError(
      `${name}.traceIdHeader must be a lowercase metadata key (a-z, 0-9, '-', '_', '.'), not ending in -bin nor starting with grpc-; got ${JSON.stringify(header)}`,
    );
  }
  if (header === 'traceparent') throw new TypeError(`${name}.traceIdHeader cannot be "traceparent" (it is always sent)`);
  return {
    traceIdHeader: header,
    sendTraceIdHeader: booleanOption(`${name}.sendTraceIdHeader`, o.sendTraceIdHeader, false),
    trustIncoming: booleanOption(`${name}.trustIncoming`, o.trustIncoming, true),
    alwaysEcho: booleanOption(`${name}.alwaysEcho`, o.alwaysEcho, false),
    openTelemetry: booleanOption(`${name}.openTelemetry`, o.openTelemetry, true),
  };
}
