import type { Reporter } from 'vitest/reporters';

interface Task { type: string; mode?: string; result?: { state?: string }; tasks?: Task[] }

/** Prints one plain closing line, `tests: N passed, N failed`, after vitest's own summary. */
export default class SummaryReporter implements Reporter {
  onFinished(files: Task[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (t: Task): void => {
      if (t.type === 'test') {
        const s = t.result?.state;
        if (s === 'pass') counts.passed++;
        else if (s === 'fail') counts.failed++;
        else counts.skipped++;
      }
      t.tasks?.forEach(visit);
    };
    for (const f of files) {
      const before = counts.failed;
      visit(f);
      // A file that failed to load, or whose setup hook threw, is a failure even with no failed test.
      if (f.result?.state === 'fail' && counts.failed === before) counts.failed++;
    }
    counts.failed += errors.length;
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed${skipped}`);
  }
}
