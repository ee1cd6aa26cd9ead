import { describe, expect, it } from 'vitest';
import { fixTextParts } from './fixText';

describe('fixTextParts', () => {
  it('splits commands in backticks out of a fix-it text', () => {
    expect(fixTextParts('Install with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA).')).toEqual([
      { text: 'Install with ', code: false },
      { text: 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node', code: true },
      { text: ' (needs CUDA).', code: false },
    ]);
  });
  it('keeps text without backticks, or with an unmatched one, as it is', () => {
    expect(fixTextParts('No GPU adapter.')).toEqual([{ text: 'No GPU adapter.', code: false }]);
    expect(fixTextParts('a ` b')).toEqual([{ text: 'a ` b', code: false }]);
    expect(fixTextParts('`x` and `y`')).toEqual([
      { text: 'x', code: true },
      { text: ' and ', code: false },
      { text: 'y', code: true },
    ]);
  });
});
