// Public API of @smelt/viewer in any JavaScript runtime: the standalone viewer page for a compile
// trace (`smelt inspect --format html`). The viewer's DOM code is `@smelt/viewer/ui` (workspace only).

export { escapeHtml, scriptSafeJson, viewerHtml } from './html.ts';
export { type CompactTrace, compactTrace, expandTrace } from './compact.ts';
export { type Mark, type VisEdge, type VisGraph, type VisNode, COLLAPSE_ABOVE, defaultCollapsed, diffSteps, layersOf, visibleGraph } from './graph-model.ts';
export { VIEWER_JS } from './viewer-bundle.ts';
