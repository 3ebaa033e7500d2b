import { cpus, totalmem } from 'node:os';
import { runBrowserBench } from './browser';
import { runBulkChangeBench } from './bulk-change';
import { runBulkUndoBench } from './bulk-undo';
import { runBusyPortalBench } from './busy-portal';
import { runE2eBench } from './e2e';
import { runFairUploadsBench } from './fair-uploads';
import { runPipelineBench } from './pipeline';
import { runRequestLogBench } from './request-log';
import { runUndoHistoryBench } from './undo-history';

// `npm run bench`: every benchmark, each printing its figures and ratios against a baseline
// measured in the same run.
async function main() {
  const quick = process.argv.includes('--quick');
  const started = Date.now();
  console.log(
    `Chat Avatar benchmarks — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${quick ? ' (quick)' : ''}`,
  );
  await runPipelineBench({ quick });
  await runE2eBench({ quick });
  await runBusyPortalBench({ quick });
  await runFairUploadsBench({ quick });
  await runBulkChangeBench({ quick });
  await runBulkUndoBench();
  await runRequestLogBench({ quick });
  await runUndoHistoryBench({ quick });
  await runBrowserBench({ quick });
  console.log(`\nAll benchmarks: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
