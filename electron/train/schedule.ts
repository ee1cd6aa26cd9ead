/** Learning-rate schedule: linear warm-up from 0, then cosine decay to minLrRatio · baseLr at totalSteps. */
export interface ScheduleConfig {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  minLrRatio?: number; // final lr as a fraction of baseLr (default 0)
}

/** Learning rate for optimizer step `step` (0-based: the first update uses lrAt(0)). */
export function lrAt(step: number, cfg: ScheduleConfig): number {
  const minRatio = cfg.minLrRatio ?? 0;
  if (cfg.warmupSteps > 0 && step < cfg.warmupSteps) return (cfg.baseLr * (step + 1)) / cfg.warmupSteps;
  const decaySteps = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  const progress = Math.min(1, (step - cfg.warmupSteps) / decaySteps);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return cfg.baseLr * (minRatio + (1 - minRatio) * cosine);
}
