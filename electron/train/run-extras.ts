/**
 * What a fine-tuning run shows besides its loss: a sample answer (thinking + answer) on a fixed validation question
 * every N steps, and, once the run completed, an evaluation on the validation split — loss before vs after, and
 * accuracy before vs after where the reference has a `\boxed{}` answer. Greedy decoding on a CPU is slow, so both are
 * capped (questions, new tokens) and report their progress. "Before" is the base model: the adapter with every lora_B
 * at zero, exactly PEFT's starting point.
 */
import { loadModelConfig } from '../model/config';
import { END_THINK, THINK } from '../tokenizer/r1-tokens';
import type { LoraSettings, NamedTensor } from './adapter';
import { loadTrainingGraph } from './export-graph';
import { GreedyDecoder } from './evaluate';
import type { CompletedRun } from './job';
import type { TrainingRecord } from './packing';
import type { TrainingTokenizer } from './tokenize';

export interface GeneratedAnswer {
  reasoning: string;
  answer: string;
  tokens: number;
}

/** True/false when the reference has a final answer to compare with; undefined when it has none. */
export type AnswerJudge = (reference: string, generated: string) => boolean | undefined;

export type ExtraEvent =
  | { type: 'sample'; step: number; question: string; reasoning: string; answer: string; tokens: number }
  | { type: 'evaluating'; done: number; total: number }
  | { type: 'evaluated'; evaluation: RunEvaluation };

export interface RunEvaluation {
  lossBefore?: number;
  lossAfter?: number;
  accuracyBefore?: number;
  accuracyAfter?: number;
  questions: number;
  boxedQuestions: number;
}

/** Greedy answers of the model being trained, with any adapter values (its decoding graph, with a KV cache). */
export class AnswerGenerator {
  private constructor(private readonly decoder: GreedyDecoder, private readonly tokenizer: TrainingTokenizer) {}

  static async create(modelFolder: string, tokenizer: TrainingTokenizer, lora: LoraSettings, dtype: 'float32' | 'float16' | 'q4'): Promise<AnswerGenerator> {
    const training = loadTrainingGraph(modelFolder, { lora, dtype: dtype === 'float16' ? 'float16' : 'float32', q4Base: dtype === 'q4', kvCache: true });
    return new AnswerGenerator(await GreedyDecoder.create(loadModelConfig(modelFolder), training), tokenizer);
  }

  async answer(question: string, params: Map<string, NamedTensor>, maxNewTokens: number, signal?: AbortSignal): Promise<GeneratedAnswer> {
    // The model's own template up to <｜Assistant｜>, then the opening the template forces: `<think>\n`.
    const { ids: rendered, lossStart } = this.tokenizer.encodeTrace({ question, reasoning: '…', answer: '…' });
    const prompt = [...rendered.slice(0, lossStart), ...this.tokenizer.encode(`${THINK}\n`)];
    const ids = await this.decoder.generate(prompt, params, maxNewTokens, this.tokenizer.markers.eos, signal);
    const text = this.tokenizer.decode(ids);
    return { ...splitThinking(text), tokens: ids.length };
  }

  release(): Promise<void> {
    return this.decoder.release();
  }
}

/** The generation starts inside the thinking block: everything before `</think>` is reasoning. */
export function splitThinking(text: string): { reasoning: string; answer: string } {
  const cut = text.indexOf(END_THINK);
  if (cut < 0) return { reasoning: text.trim(), answer: '' };
  return { reasoning: text.slice(0, cut).trim(), answer: text.slice(cut + END_THINK.length).trim() };
}

/** The base model's parameters: the same adapter with every lora_B zeroed (B·A = 0). */
export function baseParams(params: Map<string, NamedTensor>): Map<string, NamedTensor> {
  return new Map([...params].map(([name, t]) => [name, name.includes('.lora_B.') ? { shape: t.shape, data: new Float32Array(t.data.length) } : t]));
}

export interface EvaluateOptions {
  validation: TrainingRecord[];
  questions: number;
  maxNewTokens: number;
  generator?: AnswerGenerator;
  judge?: AnswerJudge;
  signal?: AbortSignal;
  emit(event: ExtraEvent): void;
}

export async function evaluateRun(run: CompletedRun, options: EvaluateOptions): Promise<RunEvaluation> {
  const evaluation: RunEvaluation = { questions: 0, boxedQuestions: 0 };
  if (!options.validation.length) return evaluation;
  const before = baseParams(run.params);
  evaluation.lossBefore = await run.validationLoss(before);
  evaluation.lossAfter = await run.validationLoss(run.params);
  const asked = options.validation.filter((r) => r.text).slice(0, options.questions);
  const generator = options.generator;
  if (!generator || !asked.length) return evaluation;
  let right = { before: 0, after: 0 };
  options.emit({ type: 'evaluating', done: 0, total: asked.length });
  for (const [index, record] of asked.entries()) {
    if (options.signal?.aborted) break;
    const { question, answer: reference } = record.text!;
    const was = await generator.answer(question, before, options.maxNewTokens, options.signal);
    const now = await generator.answer(question, run.params, options.maxNewTokens, options.signal);
    evaluation.questions++;
    const verdicts = [options.judge?.(reference, was.answer || was.reasoning), options.judge?.(reference, now.answer || now.reasoning)];
    if (verdicts[0] !== undefined && verdicts[1] !== undefined) {
      evaluation.boxedQuestions++;
      right = { before: right.before + Number(verdicts[0]), after: right.after + Number(verdicts[1]) };
    }
    options.emit({ type: 'evaluating', done: index + 1, total: asked.length });
  }
  if (evaluation.boxedQuestions) {
    evaluation.accuracyBefore = right.before / evaluation.boxedQuestions;
    evaluation.accuracyAfter = right.after / evaluation.boxedQuestions;
  }
  return evaluation;
}
