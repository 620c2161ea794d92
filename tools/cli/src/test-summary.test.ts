import { describe, expect, it } from 'vitest';
import { countCheck, countVitestReport, formatTotal, sumSuites } from './test-summary.ts';

describe('test summary', () => {
  it('counts a check suite as one pass or one failure', () => {
    expect(countCheck('lint', 0)).toEqual({ suite: 'lint', passed: 1, failed: 0 });
    expect(countCheck('lint', 2)).toEqual({ suite: 'lint', passed: 0, failed: 1 });
  });

  it('sums checks and test counts over all suites', () => {
    const total = sumSuites([
      countCheck('check-types', 0),
      countCheck('lint', 1),
      countVitestReport('vitest', { numPassedTests: 40, numFailedTests: 2 }, 1),
    ]);
    expect(total).toEqual({ passed: 41, failed: 3 });
    expect(formatTotal(total)).toBe('41 passed, 3 failed');
  });

  it('counts a file that failed to load as a failure', () => {
    const result = countVitestReport(
      'vitest',
      {
        numPassedTests: 3,
        numFailedTests: 0,
        testResults: [
          { name: 'a.test.ts', status: 'passed', assertionResults: [{ status: 'passed' }] },
          { name: 'b.test.ts', status: 'failed', message: 'Cannot find module', assertionResults: [] },
        ],
      },
      1,
    );
    expect(result).toMatchObject({ passed: 3, failed: 1 });
  });

  it('does not count a file twice when its tests already failed', () => {
    const result = countVitestReport(
      'vitest',
      {
        numPassedTests: 1,
        numFailedTests: 1,
        testResults: [{ name: 'a.test.ts', status: 'failed', assertionResults: [{ status: 'passed' }, { status: 'failed' }] }],
      },
      1,
    );
    expect(result).toMatchObject({ passed: 1, failed: 1 });
  });

  it('never reads a crashed or unexplained failing run as green', () => {
    expect(countVitestReport('vitest', undefined, 1)).toMatchObject({ passed: 0, failed: 1 });
    expect(countVitestReport('vitest', { numPassedTests: 5, numFailedTests: 0 }, 1)).toMatchObject({ passed: 5, failed: 1 });
    expect(countVitestReport('vitest', { numPassedTests: 5, numFailedTests: 0 }, 0)).toMatchObject({ passed: 5, failed: 0 });
  });
});
