/** `--map question=prompt,reasoning=reason,answer=gen_ans`: which record fields hold the canonical ones. */
import type { FieldMap } from './formats';

const TARGETS = ['question', 'reasoning', 'answer'] as const;

export function parseFieldMap(spec: string): FieldMap {
  const map: FieldMap = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [target, field, ...extra] = part.split('=').map((s) => s.trim());
    if (!TARGETS.includes(target as (typeof TARGETS)[number]) || !field || extra.length) {
      throw new Error(`--map takes question=<field>,reasoning=<field>,answer=<field> (got "${part}")`);
    }
    map[target as (typeof TARGETS)[number]] = field;
  }
  if (!Object.keys(map).length) throw new Error('--map is empty: give e.g. question=prompt,reasoning=reason,answer=gen_ans');
  return map;
}
