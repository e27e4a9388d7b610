// Loads the built package through its `exports` map, as ES module and as CommonJS, and checks
// that both expose the same public API (run after `npm run build`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const failures = [];

for (const entry of ['grpc-resilience', 'grpc-resilience/testing']) {
  const esm = await import(entry);
  const cjs = require(entry);
  const esmKeys = Object.keys(esm).filter((k) => k !== 'default').sort();
  const cjsKeys = Object.keys(cjs).sort();
  if (esmKeys.length === 0) failures.push(`${entry}: the ES module build exports nothing`);
  if (esmKeys.join() !== cjsKeys.join()) failures.push(`${entry}: ESM and CJS exports differ`);
  console.log(`${entry}: ${esmKeys.length} exports (ESM and CJS)`);
}

const cjs = require('grpc-resilience');
for (const name of ['clientInterceptors', 'serverInterceptors', 'classifyStatus', 'currentCallContext']) {
  if (typeof cjs[name] !== 'function') failures.push(`missing export ${name}`);
}
// The optional OpenTelemetry peer is found from the CommonJS build too (import.meta.url shim).
if (cjs.clientInterceptors().length === 0) failures.push('clientInterceptors() returned no interceptors');

if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
