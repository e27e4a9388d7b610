import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';

/** The status a server responder's `sendStatus` receives (grpc-js does not export this type by name). */
export type PartialServerStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];
