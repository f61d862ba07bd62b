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
      // A file that failed to load has no tests but is a failure all the same.
      if (f.result?.state === 'fail' && !(f.tasks && f.tasks.length)) counts.failed++;
      visit(f);
    }
    counts.failed += errors.length;
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed${skipped}`);
  }
}
