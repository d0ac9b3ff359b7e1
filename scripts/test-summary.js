// Prints the totals of one or more jest JSON result files as one plain line ("jest: N passed, N failed, N skipped")
// for CI logs. A missing file is a run that did not finish: it counts as one failure.
const fs = require('node:fs');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.log(`jest: no results in ${file}: that run did not finish`);
    failed++;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`jest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
