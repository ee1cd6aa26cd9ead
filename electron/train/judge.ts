/**
 * Evaluation accuracy compares answers through the app's one boxed-answer module (shared with Chat and Compare).
 * Until that module is part of this build, no judge is set and evaluations report losses only.
 */
import type { AnswerJudge } from './run-extras';

export const judgeBoxedAnswer: AnswerJudge | undefined = undefined;
