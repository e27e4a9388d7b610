import * as grpc from '@grpc/grpc-js';

/** A ts-proto (or any grpc-js) unary client method, in its four-argument form. */
export type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/** A successful unary call: the response and the final status (whose trailers may say "degraded"). */
export interface UnaryResult<Response> {
  readonly response: Response;
  readonly status: grpc.StatusObject;
}

/**
 * Calls a unary method as a promise. It settles on the call's `status` event, which grpc-js emits
 * right after the callback, so the trailers are known too (e.g. `isDegraded(result.status)`).
 * Rejects with the grpc-js `ServiceError`.
 *
 * ```ts
 * const { response } = await unary(users.getUser.bind(users), { id: '7' });
 * ```
 */
export function unary<Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  options: Partial<grpc.CallOptions> = {},
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<UnaryResult<Response>> {
  return new Promise((resolve, reject) => {
    let error: grpc.ServiceError | null = null;
    let response: Response | undefined;
    const call = method(request, metadata, options, (e, r) => {
      error = e;
      response = r;
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (error) reject(error);
      else resolve({ response: response as Response, status });
    });
  });
}

/** True for an error that carries a gRPC status (a grpc-js `ServiceError`). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'metadata' in error;
}
