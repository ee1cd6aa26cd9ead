import { useRef } from 'react';
import { splitBlocks, tailInCodeFence, tailOf, type BlockSplit } from '../../state/markdownBlocks';
import { MarkdownBlock } from './Markdown';

/**
 * Markdown that grows while a reply streams: finished blocks render once (memoised on their text) and only the open
 * tail is re-parsed on each frame. Blocks far outside the view skip layout and paint (content-visibility in CSS).
 */
export function StreamingMarkdown({ text, streaming, className }: { text: string; streaming: boolean; className?: string }) {
  const last = useRef<BlockSplit | undefined>(undefined);
  const split = splitBlocks(text, last.current);
  last.current = split;
  const tail = tailOf(split);
  return (
    <div className={['markdown', className].filter(Boolean).join(' ')}>
      {split.blocks.map((block, index) => (
        // Index keys are stable: blocks only ever append, and a finished block never changes.
        <div className={split.cuts.includes(index) ? 'md-block md-block-cut' : 'md-block'} key={index}>
          <MarkdownBlock text={block} />
        </div>
      ))}
      {tail.length > 0 && (
        <div className="md-block" key={split.blocks.length}>
          <MarkdownBlock text={tail} tail={streaming} codeOpen={streaming && tailInCodeFence(split)} />
        </div>
      )}
    </div>
  );
}
