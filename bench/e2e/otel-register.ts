import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Accepts and drops every span: we measure the instrumentation, not an exporter's network. */
class DiscardExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

// A typical production setup: W3C propagation, always-on sampling, batched export.
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DiscardExporter())] });
provider.register();
const instrumentation = new GrpcInstrumentation();
instrumentation.setTracerProvider(provider);
instrumentation.enable();
