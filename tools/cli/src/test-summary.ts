import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** What one suite of `./eventloom test` contributed to the final line. */
export interface SuiteResult {
  suite: string;
  passed: number;
  failed: number;
  note?: string;
}

/** The parts of vitest's (jest-compatible) JSON report that the count needs. */
export interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults?: Array<{ name: string; status: string; message?: string; assertionResults?: Array<{ status: string }> }>;
}

/** A suite that is one check (types, lint, schema): it passes or fails as a whole. */
export function countCheck(suite: string, exitCode: number): SuiteResult {
  return exitCode === 0 ? { suite, passed: 1, failed: 0 } : { suite, passed: 0, failed: 1 };
}

/**
 * Test counts from a vitest run. A file that failed without a failing test (it
 * did not import, a hook threw) counts as one failure, and so does a non-zero
 * exit that the report does not explain, so a broken run never reads as green.
 */
export function countVitestReport(suite: string, report: VitestJsonReport | undefined, exitCode: number): SuiteResult {
  if (!report) return { suite, passed: 0, failed: 1, note: 'no report (vitest did not finish)' };
  let failed = report.numFailedTests;
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  );
  failed += brokenFiles.length;
  let note = brokenFiles.length ? `${brokenFiles.length} file(s) failed outside a test` : undefined;
  if (exitCode !== 0 && failed === 0) {
    failed = 1;
    note = `vitest exited with ${exitCode}`;
  }
  return { suite, passed: report.numPassedTests, failed, ...(note ? { note } : {}) };
}

export function sumSuites(results: SuiteResult[]): { passed: number; failed: number } {
  return results.reduce((sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed }), { passed: 0, failed: 0 });
}

export function formatTotal(total: { passed: number; failed: number }): string {
  return `${total.passed} passed, ${total.failed} failed`;
}

function readResults(file: string): SuiteResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SuiteResult);
}

function readReport(file: string): VitestJsonReport | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
  } catch {
    return undefined;
  }
}

const usage = `usage:
  test-summary.ts check  RESULTS SUITE EXIT_CODE          record a pass/fail suite
  test-summary.ts vitest RESULTS SUITE REPORT.json EXIT   record vitest test counts
  test-summary.ts total  RESULTS                          print the table and "N passed, N failed" last`;

// Used by ./eventloom test: each suite appends one JSON line to RESULTS.
if (import.meta.main) {
  const [command, results, suite, ...rest] = process.argv.slice(2);
  if (command === 'check' && results && suite) {
    appendFileSync(results, JSON.stringify(countCheck(suite, Number(rest[0]))) + '\n');
  } else if (command === 'vitest' && results && suite && rest[0]) {
    appendFileSync(results, JSON.stringify(countVitestReport(suite, readReport(rest[0]), Number(rest[1]))) + '\n');
  } else if (command === 'total' && results) {
    const all = readResults(results);
    console.log('\nsuite                 passed  failed');
    for (const r of all) {
      console.log(`${r.suite.padEnd(20)} ${String(r.passed).padStart(7)} ${String(r.failed).padStart(7)}${r.note ? `  (${r.note})` : ''}`);
    }
    const total = sumSuites(all);
    console.log(formatTotal(total));
    process.exitCode = total.failed > 0 || all.length === 0 ? 1 : 0;
  } else {
    console.error(usage);
    process.exitCode = 2;
  }
}
