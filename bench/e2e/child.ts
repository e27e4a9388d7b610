/**
 * Entry of the end-to-end child processes: `child.ts client|server [otel]`. The OpenTelemetry
 * instrumentation must patch grpc-js before anything loads it, hence this indirection.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the load order matters, so these stay requires */
const [role, flavour] = process.argv.slice(2);
if (flavour === 'otel') require('./otel-register');
if (role === 'client') require('./client-main');
else if (role === 'server') require('./server-main');
else throw new Error(`unknown role ${role}`);
