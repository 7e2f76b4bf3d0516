// The viewer's stylesheet, added once to the document.

export const VIEWER_CSS = `
.smelt-viewer { font: 13px system-ui, sans-serif; color: #1d2330; display: flex; flex-direction: column; gap: 8px; }
.smelt-viewer .tabs { display: flex; gap: 4px; border-bottom: 1px solid #ccd; }
.smelt-viewer .tabs button { border: 1px solid #ccd; border-bottom: none; background: #f1f3f8; padding: 6px 14px; cursor: pointer; border-radius: 6px 6px 0 0; }
.smelt-viewer .tabs button.on { background: #fff; font-weight: 600; }
.smelt-viewer .passes { display: grid; grid-template-columns: 220px minmax(0, 1fr) 340px; gap: 8px; min-height: 520px; }
.smelt-viewer .steps { display: flex; flex-direction: column; gap: 2px; max-height: 640px; overflow: auto; }
.smelt-viewer .steps button { text-align: left; border: 1px solid #dde; background: #fafbfd; padding: 4px 6px; cursor: pointer; font: 12px ui-monospace, monospace; }
.smelt-viewer .steps button.on { background: #2f6fde; color: #fff; }
.smelt-viewer .steps button.same { color: #889; }
.smelt-viewer .steps button.on.same { color: #dde; }
.smelt-viewer .canvas { overflow: auto; border: 1px solid #dde; background: #fff; max-height: 640px; }
.smelt-viewer .compare { display: grid; grid-template-columns: 1fr 1fr; gap: 6px; }
.smelt-viewer .compare h4 { margin: 4px; }
.smelt-viewer .compare > div, .smelt-viewer .passes > div { min-width: 0; }
.smelt-viewer .side { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.smelt-viewer .details { border: 1px solid #dde; padding: 8px; background: #fbfbfe; font-size: 12px; overflow-wrap: anywhere; }
.smelt-viewer .details table { border-collapse: collapse; }
.smelt-viewer .details td { padding: 1px 6px 1px 0; vertical-align: top; font-family: ui-monospace, monospace; }
.smelt-viewer .ir { margin: 0; font: 11px/1.35 ui-monospace, monospace; max-height: 360px; overflow: auto; border: 1px solid #dde; padding: 6px; background: #fcfcfc; white-space: pre; }
.smelt-viewer .ir .hl { background: #ffe58a; }
.smelt-viewer .toolbar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.smelt-viewer svg text { font: 11px ui-monospace, monospace; }
.smelt-viewer .op rect { fill: #eef3ff; stroke: #5577bb; }
.smelt-viewer .op.sel rect { stroke: #d22; stroke-width: 2.5; }
.smelt-viewer .op, .smelt-viewer .layer, .smelt-viewer .layer-cluster text { cursor: pointer; }
.smelt-viewer .layer rect { fill: #e9e4f7; stroke: #7a5bbf; }
.smelt-viewer .input rect, .smelt-viewer .output rect { fill: #def7e0; stroke: #4a9a55; }
.smelt-viewer .fused-group rect { fill: #fff3d6; stroke: #d6a020; stroke-dasharray: 4 2; }
.smelt-viewer .layer-cluster rect { fill: #f6f4fc; stroke: #b3a4dd; }
.smelt-viewer .added rect { fill: #c9f5cf; stroke: #1c8a2e; stroke-width: 2; }
.smelt-viewer .removed rect { fill: #ffd6d6; stroke: #c22; stroke-width: 2; }
.smelt-viewer .changed rect { fill: #ffe8c2; stroke: #d08000; stroke-width: 2; }
.smelt-viewer path.edge { fill: none; stroke: #8892a6; }
.smelt-viewer .legend span { display: inline-block; padding: 1px 6px; margin-right: 4px; border-radius: 3px; }
.smelt-viewer .panel { border: 1px solid #dde; padding: 8px; background: #fff; overflow: auto; }
.smelt-viewer table.kernels { border-collapse: collapse; font: 11px ui-monospace, monospace; }
.smelt-viewer table.kernels td, .smelt-viewer table.kernels th { padding: 1px 8px; text-align: right; border-bottom: 1px solid #eee; }
.smelt-viewer table.kernels td.l, .smelt-viewer table.kernels th.l { text-align: left; }
`;

let added = false;

export function addStyle(): void {
  if (added) return;
  added = true;
  const style = document.createElement('style');
  style.textContent = VIEWER_CSS;
  document.head.append(style);
}
