/** Writes the scripted model (see scripted.ts) as a complete Hugging Face checkpoint folder. */
import { encodePlain } from '../tokenizer/load';
import { r1TokenId, r1TokenTable, ASSISTANT, THINK } from '../tokenizer/r1-tokens';
import { realVocabSize, writeCheckpointFolder } from './factory';
import { tokenizerFamily, type Arch, type ModelShape } from './hf-config';
import { planScript, scriptedShape, scriptedWeights, type ScriptPlan, type ScriptTokens } from './scripted';

export interface ScriptedCheckpointOptions {
  arch: Arch;
  /** What the model says after `<｜Assistant｜><think>\n`, e.g. "Let me add.\n</think>\n\nThe answer is \\boxed{4}." */
  script: string;
  ropeTheta?: number;
}

export function scriptTokens(arch: Arch): ScriptTokens {
  const family = tokenizerFamily(arch);
  const newline = encodePlain(family, '\n');
  if (newline.length !== 1) throw new Error(`The ${family} tokenizer splits "\\n" into ${newline.length} tokens.`);
  return {
    assistantId: r1TokenId(family, ASSISTANT),
    thinkId: r1TokenId(family, THINK),
    newlineId: newline[0],
    eosId: r1TokenTable(family).eosId,
  };
}

export function planScriptText(arch: Arch, script: string): ScriptPlan {
  return planScript(encodePlain(tokenizerFamily(arch), script), scriptTokens(arch));
}

/** Returns the shape and the plan (plan.scriptIds are the ids greedy decoding produces before eos). */
export function writeScriptedCheckpoint(dir: string, options: ScriptedCheckpointOptions): { shape: ModelShape; plan: ScriptPlan } {
  const plan = planScriptText(options.arch, options.script);
  const shape = scriptedShape(plan, { arch: options.arch, vocabSize: realVocabSize(options.arch), ropeTheta: options.ropeTheta });
  writeCheckpointFolder(dir, shape, scriptedWeights(plan, shape));
  return { shape, plan };
}
