/**
 * Evaluation accuracy through the app's one boxed-answer module (the one Chat and Compare use): a question counts
 * when its reference has a \\boxed{} answer, and a reply is right when its last box agrees with it.
 */
import { checkAnswer, extractBoxed } from '../answers/boxed';
import type { AnswerJudge } from './run-extras';

export const judgeBoxedAnswer: AnswerJudge = (reference, generated) => {
  const gold = extractBoxed(reference);
  if (gold === undefined) return undefined;
  return checkAnswer(generated, gold).correct === true;
};
