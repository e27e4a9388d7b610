import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['cjs', 'esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@grpc/grpc-js', '@opentelemetry/api', 'opossum'],
  // import.meta.url (used to load optional peers) must work in the CommonJS build too.
  shims: true,
});
