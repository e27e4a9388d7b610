import type { ChannelOptions } from '@grpc/grpc-js';
import { emitPackageWarning } from '../internal/printable';

/** The warning code of the "two retry layers" warning, for `process.on('warning')` filters. */
export const DOUBLE_RETRY_WARNING_CODE = 'GRPC_RESILIENCE_DOUBLE_RETRY';

let warned = false;

/** Emits the "two retry layers" warning once per process. */
export function warnDoubleRetry(why: string): void {
  if (warned) return;
  warned = true;
  emitPackageWarning(
    `grpc-resilience: ${why}. Retries then multiply (interceptor attempts × service-config attempts); ` +
      `remove the retryPolicy/hedgingPolicy from the service config, or set retry.maxAttempts to 1.`,
    DOUBLE_RETRY_WARNING_CODE,
  );
}

/** For tests: allow the warning again. */
export function resetDoubleRetryWarning(): void {
  warned = false;
}

/**
 * Which built-in retry policy the channel options configure, if any: 'retryPolicy' or
 * 'hedgingPolicy' in `grpc.service_config` (unless `grpc.enable_retries` is 0). Client options
 * are channel options too, so pass the object given to the client constructor.
 * A service config delivered by DNS is invisible here; see README "Retries".
 */
export function serviceConfigRetryPolicy(channelOptions: ChannelOptions | undefined): 'retryPolicy' | 'hedgingPolicy' | undefined {
  if (!channelOptions || channelOptions['grpc.enable_retries'] === 0) return undefined;
  const raw = channelOptions['grpc.service_config'];
  let config: unknown;
  try {
    config = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    return undefined; // grpc-js itself rejects an invalid service config when the client is built
  }
  const methodConfigs = (config as { methodConfig?: unknown } | null | undefined)?.methodConfig;
  if (!Array.isArray(methodConfigs)) return undefined;
  for (const entry of methodConfigs) {
    if (entry && typeof entry === 'object') {
      if ('retryPolicy' in entry && entry.retryPolicy) return 'retryPolicy';
      if ('hedgingPolicy' in entry && entry.hedgingPolicy) return 'hedgingPolicy';
    }
  }
  return undefined;
}
