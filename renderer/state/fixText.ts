/**
 * Fix-it texts from the engine mark commands with backticks (`npm rebuild …`): split them so the UI shows each
 * command as code with its own copy button, never the raw backticks.
 */
export interface FixTextPart {
  text: string;
  code: boolean;
}

export function fixTextParts(text: string): FixTextPart[] {
  const pieces = text.split('`');
  // an unmatched backtick is text, not the start of code
  if (pieces.length % 2 === 0) return [{ text, code: false }];
  return pieces.map((piece, i) => ({ text: piece, code: i % 2 === 1 })).filter((part) => part.text.length > 0);
}
