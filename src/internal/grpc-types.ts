import type { NextCall, ServerInterceptingCallInterface } from '@grpc/grpc-js';

/** What `nextCall(options)` returns: the client call interface (grpc-js does not export it by name). */
export type InterceptingCallInterface = ReturnType<NextCall>;

/** What a client call's `sendMessageWithContext` receives (the writer's callback, flags). */
export type MessageContext = Parameters<InterceptingCallInterface['sendMessageWithContext']>[0];

/** The status a server responder's `sendStatus` receives (grpc-js does not export this type by name). */
export type PartialServerStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];
