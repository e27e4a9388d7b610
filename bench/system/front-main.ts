import type * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { ExecutionCounter } from './counter';
import { EventCounter } from './events';
import { replicasTarget, requestId, type MethodName } from './service';
import { createCaller, startServer, type Caller, type Handler, type Outcome } from './stacks';
import { systemVariant } from './variants';

/** The front service: each call makes one call to the back service (both replicas, round robin). */
let back: Caller | undefined;
const executions = new ExecutionCounter();
const events = new EventCounter();

function handler(method: MethodName): Handler {
  return (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
    executions.add(requestId(call.request));
    return new Promise<Outcome>((resolve) => {
      back!.call(method, call.request, { parent: call }, (failure, response) =>
        resolve(failure ? { downstream: failure } : { response: response! }),
      );
    });
  };
}

serveParent({
  async init(message) {
    const variant = systemVariant(message.variant as string);
    const onEvent = events.handler(variant);
    back = createCaller(variant, replicasTarget(message.backPorts as number[]), true, onEvent);
    const { port } = await startServer(variant, { work: handler('work'), lookup: handler('lookup') }, onEvent);
    return { port };
  },
  reset() {
    executions.clear();
    events.clear();
    return {};
  },
  read() {
    return { executions: executions.toPairs(), events: events.counts() };
  },
});
