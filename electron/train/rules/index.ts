/**
 * THE gradient table: op type → backward rule. An op missing here cannot be on a path from a trained parameter
 * to the loss; the walk names it in its error.
 */
import { elementwiseRules } from './elementwise';
import { matmulRules } from './matmul';
import { quantizedRules } from './quantized';
import { reduceRules } from './reduce';
import { shapeRules } from './shape';
import type { GradRule } from './types';

export const gradRules: Readonly<Record<string, GradRule>> = {
  ...elementwiseRules,
  ...matmulRules,
  ...quantizedRules,
  ...reduceRules,
  ...shapeRules,
};

export type { GradContext, GradRule } from './types';
