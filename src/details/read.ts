import type { Metadata } from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY, decodeRichStatus, durationToMs } from './codec';
import type { RichStatus } from './types';

/** Reads and decodes the rich status from trailers; undefined when absent or malformed. */
export function readRichStatus(metadata: Metadata | undefined): RichStatus | undefined {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!(raw instanceof Uint8Array)) return undefined;
  try {
    return decodeRichStatus(raw);
  } catch {
    return undefined;
  }
}

/** The RetryInfo delay in trailers, in ms; undefined when there is none. Only parses when the key is present. */
export function readRetryInfoMs(metadata: Metadata | undefined): number | undefined {
  const status = readRichStatus(metadata);
  if (!status) return undefined;
  for (const detail of status.details) {
    if (detail.type === 'RetryInfo') return durationToMs(detail.value.retryDelay);
  }
  return undefined;
}
