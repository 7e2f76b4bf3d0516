// The README's summary of a results file (`pnpm bench --report FILE --markdown`): one Markdown table
// with an engine per row and a workload per column, each cell the median ms (and GFLOP/s for the
// GEMMs); a cell is "—" where the engine did not run that workload. Then the issues' figures, each
// with the machine probe of the engines it compares (report/probe.ts) where the file has it.

import type { ResultsDoc } from './results.ts';
import type { TargetResult } from './targets.ts';

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function renderMarkdown(doc: ResultsDoc, targets: readonly TargetResult[]): string {
  const workloads = doc.workloads;
  const engines = [...new Set(workloads.flatMap((w) => w.rows.map((r) => r.engine)))];
  const head = `| engine | ${workloads.map((w) => w.id).join(' | ')} |`;
  const rule = `|---|${workloads.map(() => '---:|').join('')}`;
  const rows = engines.map((engine) => {
    const cells = workloads.map((w) => {
      const row = w.rows.find((r) => r.engine === engine);
      const median = row?.status === 'ok' ? row.summary?.median : undefined;
      if (median === undefined) return '—';
      const gflops = w.id.startsWith('gemm') ? ` (${(w.flops / (median * 1e6)).toFixed(1)} GFLOP/s)` : '';
      return `${ms(median)}${gflops}`;
    });
    return `| ${engine.startsWith('smelt') ? `**${engine}**` : engine} | ${cells.join(' | ')} |`;
  });
  const unit = (t: TargetResult) => (t.unit === '×' ? '×' : ` ${t.unit}`);
  const figures = targets.filter((t) => t.value !== undefined).map((t) => {
    const want = t.want !== undefined ? `want ≥ ${t.want}${unit(t)}: ${t.value! >= t.want ? 'met' : '**not met**'}`
      : t.atMost !== undefined ? `want ≤ ${t.atMost}${unit(t)}: ${t.value! <= t.atMost ? 'met' : '**not met**'}` : 'reported';
    const against = t.against ? ` (against ${t.against})` : '';
    const detail = `${t.detail ? `; ${t.detail}` : ''}${t.probe ? `; probe ${t.probe}` : ''}`;
    return `| ${t.issue} | ${t.workload} | ${t.figure}${against} | ${t.value!.toFixed(2)}${unit(t)}${detail} | ${want} |`;
  });
  return [
    `Median ms per run (\`${doc.command}\`, ${doc.date.slice(0, 10)}, smelt ${doc.smelt}, ${doc.machine.cpuCount} × ${String(doc.machine.cpuModel ?? 'CPU')}):`,
    '', head, rule, ...rows, '',
    '| issue | workload | figure | value (medians) | target |', '|---|---|---|---|---|', ...figures,
  ].join('\n');
}
