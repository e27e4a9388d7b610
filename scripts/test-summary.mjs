// Sums vitest JSON reports (one per Node.js version) into one line per version and a closing
// "N passed, N failed" line. Exits 1 when a report is missing, failed, or ran no test.
//   node scripts/test-summary.mjs .ci/out/node-20.json .ci/out/node-24.json
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/test-summary.mjs <vitest json report>...');
  process.exit(2);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`${file}: no readable vitest JSON report (${error.message})`);
    ok = false;
    continue;
  }
  const run = {
    passed: report.numPassedTests ?? 0,
    failed: report.numFailedTests ?? 0,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
  console.log(`${basename(file, '.json')}: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped`);
  if (run.failed > 0 || run.passed === 0 || report.success === false) ok = false;
  passed += run.passed;
  failed += run.failed;
  skipped += run.skipped;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
