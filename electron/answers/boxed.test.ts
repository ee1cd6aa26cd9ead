// Boxed-answer extraction and normalisation, on replies written the way R1 distills write them. Every case names the
// rule of "Checking a math answer" it covers, so a failing case says which rule broke.
import { describe, expect, it } from 'vitest';
import { answersAgree, checkAnswer, extractBoxed, extractBoxedAll, normalizeAnswer, numericValue, tallyVotes } from './boxed';

interface ExtractCase { rule: string; reply: string; boxed: string | undefined }

const extractCases: ExtractCase[] = [
  { rule: 'single box', reply: 'So the total is 55.\n\n**Final Answer**\n\\[\n\\boxed{55}\n\\]', boxed: '55' },
  { rule: 'box in inline math', reply: 'The sum of the roots is $\\boxed{-3}$.', boxed: '-3' },
  { rule: 'nested braces', reply: 'Therefore $x = \\boxed{\\frac{1}{2}}$', boxed: '\\frac{1}{2}' },
  { rule: 'nested braces', reply: '\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}', boxed: '\\left( 3, \\frac{\\pi}{2} \\right)' },
  { rule: 'nested braces', reply: '\\boxed{\\sqrt{2^{10}}}', boxed: '\\sqrt{2^{10}}' },
  { rule: 'escaped braces do not count', reply: 'The set is $\\boxed{\\{1, 2, 3\\}}$.', boxed: '\\{1, 2, 3\\}' },
  { rule: 'multiple boxes: last wins', reply: 'First I got \\boxed{12}, but wait, that is wrong. The answer is \\boxed{14}.', boxed: '14' },
  { rule: 'multiple boxes: last wins', reply: '</think>\n\n(a) $\\boxed{3}$ (b) $\\boxed{\\dfrac{7}{2}}$', boxed: '\\dfrac{7}{2}' },
  { rule: 'no box', reply: 'The answer is 42.', boxed: undefined },
  { rule: 'no box', reply: '', boxed: undefined },
  { rule: 'unclosed box (cut off) is skipped', reply: 'So \\boxed{7} ... no, \\boxed{\\frac{3}{', boxed: '7' },
  { rule: 'bare argument', reply: 'Hence the answer is $\\boxed 5$.', boxed: '5' },
  { rule: 'fbox counts as a box', reply: 'Answer: \\fbox{9}', boxed: '9' },
  { rule: 'space before brace', reply: '\\boxed {100}', boxed: '100' },
  { rule: 'other commands starting with boxed are not boxes', reply: '\\boxedtext{1} and \\boxed{2}', boxed: '2' },
  { rule: 'text answer', reply: '$\\boxed{\\text{(C)}}$', boxed: '\\text{(C)}' },
];

interface NormalizeCase { rule: string; raw: string; normalized: string }

const normalizeCases: NormalizeCase[] = [
  { rule: 'spaces', raw: ' 1 + \\sqrt{2} ', normalized: '1+\\sqrt{2}' },
  { rule: 'spacing commands \\! \\, \\;', raw: '2\\!\\cdot\\, 3\\;', normalized: '2\\cdot3' },
  { rule: '\\left / \\right', raw: '\\left( 1, 2 \\right)', normalized: '(1,2)' },
  { rule: '\\left / \\right', raw: '\\left[ 0, \\infty \\right)', normalized: '[0,\\infty)' },
  { rule: 'degrees ^\\circ', raw: '90^\\circ', normalized: '90' },
  { rule: 'degrees ^{\\circ}', raw: '45^{\\circ}', normalized: '45' },
  { rule: 'degrees °', raw: '30°', normalized: '30' },
  { rule: 'dollar sign \\$', raw: '\\$18.90', normalized: '18.90' },
  { rule: 'trailing \\text{unit}', raw: '12 \\text{ cm}', normalized: '12' },
  { rule: 'trailing \\text{unit} with power', raw: '50\\text{ cm}^2', normalized: '50' },
  { rule: 'trailing \\mbox{unit}', raw: '3\\mbox{ inches}', normalized: '3' },
  { rule: 'trailing \\text{unit} after a fraction', raw: '\\frac{5}{2}\\text{ hours}', normalized: '\\frac{5}{2}' },
  { rule: 'text answer unwrapped', raw: '\\text{(C)}', normalized: '(C)' },
  { rule: 'text answer unwrapped', raw: '\\textbf{Monday}', normalized: 'Monday' },
  { rule: 'percent \\%', raw: '25\\%', normalized: '25' },
  { rule: 'percent %', raw: '12.5%', normalized: '12.5' },
  { rule: '\\dfrac → \\frac', raw: '\\dfrac{3}{4}', normalized: '\\frac{3}{4}' },
  { rule: '\\tfrac → \\frac', raw: '\\tfrac{1}{3}', normalized: '\\frac{1}{3}' },
  { rule: '\\frac12 → \\frac{1}{2}', raw: '\\frac12', normalized: '\\frac{1}{2}' },
  { rule: '\\frac1{x} → \\frac{1}{x}', raw: '\\frac1{x}', normalized: '\\frac{1}{x}' },
  { rule: '\\sqrt3 → \\sqrt{3}', raw: '2\\sqrt3', normalized: '2\\sqrt{3}' },
  { rule: '\\sqrt3 → \\sqrt{3}', raw: '\\dfrac{\\sqrt3}{2}', normalized: '\\frac{\\sqrt{3}}{2}' },
  { rule: 'leading 0 for .5', raw: '.5', normalized: '0.5' },
  { rule: 'leading 0 for .5', raw: '-.25', normalized: '-0.25' },
  { rule: 'short x = prefix', raw: 'x = 7', normalized: '7' },
  { rule: 'short x = prefix', raw: 'AB = 2\\sqrt{5}', normalized: '2\\sqrt{5}' },
  { rule: 'short x = prefix', raw: 'a_1 = 4', normalized: '4' },
  { rule: 'long left side kept', raw: 'area = 10', normalized: 'area=10' },
  { rule: 'integer a/b → \\frac{a}{b}', raw: '3/4', normalized: '\\frac{3}{4}' },
  { rule: 'integer a/b → \\frac{a}{b}', raw: '-7/2', normalized: '\\frac{-7}{2}' },
  { rule: 'non-integer a/b kept', raw: 'x/2', normalized: 'x/2' },
  { rule: 'trailing period', raw: '42.', normalized: '42' },
  { rule: 'thousands separators', raw: '1,000,000', normalized: '1000000' },
  { rule: 'thousands separators {,}', raw: '2{,}024', normalized: '2024' },
  { rule: 'thousands separators \\,', raw: '10\\,000', normalized: '10000' },
  { rule: 'tuple commas kept', raw: '(1, 2)', normalized: '(1,2)' },
  { rule: '\\displaystyle dropped', raw: '\\displaystyle\\frac{\\pi}{4}', normalized: '\\frac{\\pi}{4}' },
  { rule: 'inline $ dropped', raw: '$16$', normalized: '16' },
];

interface AgreeCase { rule: string; a: string; b: string; agree: boolean }

const agreeCases: AgreeCase[] = [
  { rule: 'numeric equality: 0.5 = 1/2', a: '0.5', b: '\\frac{1}{2}', agree: true },
  { rule: 'numeric equality: trailing zeros', a: '2.50', b: '2.5', agree: true },
  { rule: 'numeric equality: 6 decimals', a: '0.333333', b: '\\dfrac{1}{3}', agree: true },
  { rule: 'numeric equality: not within 6 decimals', a: '0.33', b: '\\frac13', agree: false },
  { rule: 'numeric equality: integers exact', a: '1000001', b: '1000000', agree: false },
  { rule: 'numeric equality: negative fractions', a: '-\\frac{7}{2}', b: '-3.5', agree: true },
  { rule: 'numeric equality: a/b against \\dfrac', a: '3/4', b: '\\dfrac34', agree: true },
  { rule: 'numeric equality: 1.0 = 1', a: '1.0', b: '1', agree: true },
  { rule: 'units ignored', a: '12 \\text{ cm}', b: '12', agree: true },
  { rule: 'degrees ignored', a: '60^\\circ', b: '60', agree: true },
  { rule: 'percentages', a: '40\\%', b: '40', agree: true },
  { rule: 'dollars', a: '\\$1,250', b: '1250', agree: true },
  { rule: 'x = prefix', a: 'x=-2', b: '-2', agree: true },
  { rule: 'symbolic equal after normalising', a: '\\frac{\\sqrt3}{2}', b: '\\dfrac{\\sqrt{3}}{2}', agree: true },
  { rule: 'symbolic different', a: '2\\sqrt{3}', b: '3\\sqrt{2}', agree: false },
  { rule: 'different numbers', a: '54', b: '55', agree: false },
  { rule: 'text answer against letter', a: '\\text{(B)}', b: '(B)', agree: true },
  { rule: 'whole replies: last box', a: 'Thus \\boxed{10}... wait, \\boxed{\\dfrac{1}{2}}', b: 'So $\\boxed{0.5}$.', agree: true },
  { rule: 'no box on one side: no agreement with a reply without box', a: '', b: '5', agree: false },
];

describe('extractBoxed', () => {
  it.each(extractCases)('$rule: $reply', ({ reply, boxed }) => {
    expect(extractBoxed(reply)).toBe(boxed);
  });

  it('lists every box in order', () => {
    expect(extractBoxedAll('\\boxed{1}, \\boxed{\\frac{2}{3}} and $\\boxed{x}$')).toEqual(['1', '\\frac{2}{3}', 'x']);
  });
});

describe('normalizeAnswer', () => {
  it.each(normalizeCases)('$rule: $raw', ({ raw, normalized }) => {
    expect(normalizeAnswer(raw)).toBe(normalized);
  });

  it('is idempotent', () => {
    for (const { raw } of normalizeCases) expect(normalizeAnswer(normalizeAnswer(raw))).toBe(normalizeAnswer(raw));
  });
});

describe('answersAgree', () => {
  it.each(agreeCases)('$rule: $a vs $b', ({ a, b, agree }) => {
    expect(answersAgree(a, b)).toBe(agree);
    expect(answersAgree(b, a)).toBe(agree);
  });

  it('a missing answer never agrees', () => {
    expect(answersAgree(undefined, '5')).toBe(false);
    expect(answersAgree(undefined, undefined)).toBe(false);
  });
});

describe('numericValue', () => {
  it('reads plain numbers and fractions of numbers only', () => {
    expect(numericValue('-0.5')).toBe(-0.5);
    expect(numericValue('\\frac{3}{4}')).toBe(0.75);
    expect(numericValue('-\\frac{3}{4}')).toBe(-0.75);
    expect(numericValue('\\frac{1}{0}')).toBeUndefined();
    expect(numericValue('\\sqrt{2}')).toBeUndefined();
    expect(numericValue('(1,2)')).toBeUndefined();
  });
});

describe('checkAnswer (the reference is the gold answer)', () => {
  it('marks a reply right when its last box matches the reference', () => {
    const reply = '<think>\nMaybe \\boxed{6}?\n</think>\n\nThe answer is $\\boxed{\\dfrac{12}{2}}$.';
    expect(checkAnswer(reply, '6')).toEqual({ boxed: '\\dfrac{12}{2}', normalized: '\\frac{12}{2}', correct: true });
  });

  it('marks a reply without a box wrong even when its text contains the number', () => {
    expect(checkAnswer('The answer is 6.', '6')).toEqual({ boxed: undefined, normalized: undefined, correct: false });
  });

  it('accepts a boxed reference', () => {
    expect(checkAnswer('\\boxed{90^\\circ}', '\\boxed{90}').correct).toBe(true);
  });

  it('gives no verdict without a reference', () => {
    expect(checkAnswer('\\boxed{3}', '  ')).toEqual({ boxed: '3', normalized: '3' });
  });
});

describe('tallyVotes (cons@N)', () => {
  it('groups equal answers written differently and names the majority with its share of all samples', () => {
    const replies = ['\\boxed{\\frac12}', '\\boxed{0.5}', '\\boxed{3}', 'no box here', '\\boxed{1/2}'];
    const tally = tallyVotes(replies);
    expect(tally.buckets).toEqual([
      { answer: '\\frac{1}{2}', count: 3, samples: [0, 1, 4] },
      { answer: '3', count: 1, samples: [2] },
    ]);
    expect(tally.unanswered).toEqual([3]);
    expect(tally.majority).toEqual({ answer: '\\frac{1}{2}', count: 3, share: 0.6 });
  });

  it('breaks ties by the first answer seen and has no majority without answers', () => {
    expect(tallyVotes(['\\boxed{2}', '\\boxed{1}', '\\boxed{1}', '\\boxed{2}']).majority?.answer).toBe('2');
    expect(tallyVotes(['none', 'none']).majority).toBeUndefined();
  });
});
