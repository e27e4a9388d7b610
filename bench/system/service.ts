import type * as grpc from '@grpc/grpc-js';
import { rawUnaryMethod } from '../lib/service';

/**
 * The system benchmark's service, the same at the front and at the back: `Work` is the main
 * traffic and `Lookup` the method that gets a deterministic bug in the bug scenario. Messages are
 * raw bytes whose first four carry the client request id, forwarded unchanged by the front, so
 * each tier can count its executions per client request.
 */
export const METHODS = ['work', 'lookup'] as const;
export type MethodName = (typeof METHODS)[number];

export const SERVICE_NAME = 'bench.v1.SystemService';

function unaryMethod(name: string) {
  // As proto-loader exposes `option idempotency_level = IDEMPOTENT;`: both methods are reads.
  return { ...rawUnaryMethod(SERVICE_NAME, name), options: { idempotency_level: 'IDEMPOTENT' } };
}

export const SystemService = {
  work: unaryMethod('Work'),
  lookup: unaryMethod('Lookup'),
} satisfies grpc.ServiceDefinition;

const REQUEST_BYTES = 32;

/** A request carrying the client request id. */
export function encodeRequest(id: number): Buffer {
  const buffer = Buffer.alloc(REQUEST_BYTES, 0x61);
  buffer.writeUInt32BE(id >>> 0, 0);
  return buffer;
}

/** The client request id of a request (0 for a message too short to carry one). */
export function requestId(request: Buffer): number {
  return request.length >= 4 ? request.readUInt32BE(0) : 0;
}

/** The address list a front dials: every back replica behind one channel, balanced round robin. */
export function replicasTarget(ports: readonly number[]): string {
  return `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
}

/** Ids at or above this are warm-up calls, never part of a measured run. */
export const WARMUP_ID_BASE = 0x8000_0000;
