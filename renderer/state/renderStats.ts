/**
 * How often Markdown blocks render, counted as they render. The long-trace test and benchmark read it (through
 * `window.__distilleryRenderStats`) to check that a finished block renders once, however long the reply grows.
 */
export interface RenderStats {
  /** Renders of finished blocks (each should render once while a reply streams). */
  finishedBlockRenders: number;
  /** Renders of the open tail (about one per painted frame while streaming). */
  tailRenders: number;
}

export const renderStats: RenderStats = { finishedBlockRenders: 0, tailRenders: 0 };

if (typeof window !== 'undefined') {
  (window as unknown as { __distilleryRenderStats?: RenderStats }).__distilleryRenderStats = renderStats;
}
