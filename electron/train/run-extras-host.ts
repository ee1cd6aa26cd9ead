/**
 * The train handler's side work, kept out of the handler: tokens/s on each step event, periodic sample answers, and
 * the final evaluation. The answer generator (a second, forward-only session) is only built when a sample or an
 * evaluation question needs it, and released with the run.
 */
import { judgeBoxedAnswer } from './judge';
import type { LoraSettings, NamedTensor } from './adapter';
import type { CompletedRun } from './job';
import type { TrainingRecord } from './packing';
import { AnswerGenerator, evaluateRun, type ExtraEvent, type RunEvaluation } from './run-extras';
import type { TrainEvent } from './trainer';
import type { TrainingTokenizer } from './tokenize';

interface ExtrasParams {
  modelFolder: string;
  lora?: { rank: number; alpha: number; targets: string[]; useRslora?: boolean };
  dtype: 'float32' | 'float16' | 'q4';
  sample?: { every: number; maxNewTokens: number };
  evaluation?: { questions: number; maxNewTokens: number };
}

export class RunExtras {
  evaluation: RunEvaluation | undefined;
  private generator: Promise<AnswerGenerator> | undefined;
  private lastStepAt: number | undefined;

  constructor(
    private readonly params: ExtrasParams,
    private readonly tokenizer: TrainingTokenizer,
    private readonly validation: TrainingRecord[],
    private readonly emit: (event: ExtraEvent) => void,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Adds the measured throughput of the step (supervised tokens per second of wall time since the previous step).
   * The first step after a start also paid for building the session, so it gets no figure rather than a wrong one.
   */
  timed(event: TrainEvent): TrainEvent & { tokensPerSecond?: number } {
    const now = Date.now();
    if (event.type === 'resumed') this.lastStepAt = now;
    if (event.type !== 'step') return event;
    const since = this.lastStepAt;
    this.lastStepAt = now;
    if (since === undefined) return event;
    return { ...event, tokensPerSecond: event.tokens / Math.max(1e-3, (now - since) / 1000) };
  }

  /**
   * The final step always gets a sample too: a periodic one can be lost to a cancel that lands while it is generating
   * (the resumed run restarts after that step), and a run shorter than `every` would otherwise finish without any.
   */
  async sample(step: number, params: Map<string, NamedTensor>, last = false): Promise<void> {
    const every = this.params.sample?.every ?? 0;
    const question = this.validation.find((r) => r.text)?.text?.question;
    if (!every || (step % every !== 0 && !last) || !question || !this.params.lora) return;
    const generator = await this.answerGenerator();
    const answer = await generator.answer(question, params, this.params.sample!.maxNewTokens, this.signal);
    this.emit({ type: 'sample', step, question, ...answer });
    this.lastStepAt = Date.now(); // sampling time is not training throughput
  }

  async evaluate(run: CompletedRun): Promise<RunEvaluation | undefined> {
    const caps = this.params.evaluation;
    if (!caps || !this.validation.length) return undefined;
    const generator = caps.questions > 0 && this.params.lora ? await this.answerGenerator() : undefined;
    const evaluation = await evaluateRun(run, {
      validation: this.validation, questions: caps.questions, maxNewTokens: caps.maxNewTokens, generator,
      judge: judgeBoxedAnswer, signal: this.signal, emit: this.emit,
    });
    this.emit({ type: 'evaluated', evaluation });
    return evaluation;
  }

  async release(): Promise<void> {
    const generator = this.generator;
    this.generator = undefined;
    if (generator) await (await generator.catch(() => undefined))?.release();
  }

  private answerGenerator(): Promise<AnswerGenerator> {
    this.generator ??= AnswerGenerator.create(this.params.modelFolder, this.tokenizer, this.params.lora as LoraSettings, this.params.dtype);
    return this.generator;
  }
}
