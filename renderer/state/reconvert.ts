/**
 * Pure logic of "Re-convert for speed" on the Models screen: how a row names its folder's graph, which re-conversion
 * job a row shows, and when one has just ended (the model list is re-read then).
 */
import type { Job } from '../../electron/contract/api';
import type { ConvertedWith } from '../../electron/contract/convert';
import type { ModelInfo } from '../../electron/contract/inference';
import { isActive } from './jobs';

/** What each graph id in a manifest is, in a few words (an id this screen does not know shows as it is). */
const GRAPH_NAMES: Record<string, string> = {
  standard: 'standard graph',
  'fused-gqa-v1': 'fused graph (portable)',
  'fused-xkv-v1': 'fused graph',
  'fused-xkv-v2': 'fused graph',
  'fused-xkv-v3': 'fused graph',
};

/** "fused graph · converter 1.2.0", "standard graph · converter 1.0.0"; undefined for folders Distillery did not convert. */
export function graphLabel(converted: ConvertedWith | undefined): string | undefined {
  if (!converted) return undefined;
  return `${GRAPH_NAMES[converted.graph] ?? `${converted.graph} graph`} · converter ${converted.converterVersion}`;
}

/** The re-conversion a row shows: the one the app says runs (any window started it), else the last one started here. */
export function reconvertJobFor(model: ModelInfo, jobs: readonly Job[], startedHere: Readonly<Record<string, string>>): Job | undefined {
  const jobId = model.speedUpgrade?.state === 'running' ? model.speedUpgrade.jobId : startedHere[model.id];
  return jobId ? jobs.find((job) => job.id === jobId) : undefined;
}

/** Ids among `watched` whose job has ended and was not reported yet (`reported`): the model list needs a re-read. */
export function newlyEnded(jobs: readonly Job[], watched: ReadonlySet<string>, reported: ReadonlySet<string>): string[] {
  return jobs.filter((job) => watched.has(job.id) && !reported.has(job.id) && !isActive(job)).map((job) => job.id);
}
