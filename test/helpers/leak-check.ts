import type * as grpc from '@grpc/grpc-js';
import { decodeErrorDetails } from '../../src/errors';

/**
 * Everything a caller can observe of a status, as text: message, trailer keys and values (binary
 * values as latin1, so ASCII markers inside protobuf bytes show), and the decoded details.
 */
export function visibleText(status: Pick<grpc.StatusObject, 'details' | 'metadata'>): string {
  const parts: string[] = [status.details];
  for (const [key, value] of Object.entries(status.metadata.getMap())) {
    parts.push(key, Buffer.isBuffer(value) ? value.toString('latin1') : String(value));
  }
  parts.push(JSON.stringify(decodeErrorDetails(status)));
  return parts.join('\n');
}

/** The markers of `markers` that appear in `text`. */
export function leakedMarkers(text: string, markers: readonly string[]): string[] {
  return markers.filter((m) => text.includes(m));
}
