import { useCallback, useRef, useState } from 'react';
import { INSTRUCTION_PRESETS, MAX_INSTRUCTIONS_LENGTH } from '../../../electron/contract/chat';
import { Button } from '../Button';
import { useDismiss } from './hooks';
import './popover.css';

function usePopover() {
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(anchor, open, close);
  return { open, setOpen, anchor, close };
}

/** Per-chat instructions: put into each question sent to the model (R1 distills take no system prompt). */
export function InstructionsButton({ instructions, onSave }: { instructions?: string; onSave(text: string | null): Promise<boolean> }) {
  const { open, setOpen, anchor, close } = usePopover();
  const [text, setText] = useState(instructions ?? '');
  const toggle = () => {
    if (!open) setText(instructions ?? '');
    setOpen(!open);
  };
  const save = async (value: string | null) => {
    if (await onSave(value)) close();
  };
  return (
    <div className="popover-anchor" ref={anchor}>
      <button type="button" className={`settings-button${instructions ? ' settings-button-on' : ''}`} aria-haspopup="dialog" aria-expanded={open} onClick={toggle}>
        <span className="settings-button-label">Instructions</span>
        {instructions && <span className="settings-button-summary" data-testid="instructions-summary">{instructions.length > 24 ? `${instructions.slice(0, 24)}…` : instructions}</span>}
      </button>
      {open && (
        <div className="popover popover-wide" role="dialog" aria-label="Chat instructions">
          <div className="popover-head">
            <strong>Instructions for this chat</strong>
          </div>
          <p className="field-hint">
            Added after each of your questions. DeepSeek advises no system prompt for R1 models: instructions go into the question itself.
          </p>
          <textarea
            className="input"
            aria-label="Instructions"
            rows={4}
            maxLength={MAX_INSTRUCTIONS_LENGTH}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
          <div className="card-actions">
            {INSTRUCTION_PRESETS.map((preset) => (
              <Button key={preset.name} variant="ghost" onClick={() => setText(preset.text)} title={preset.text}>
                {preset.name} preset
              </Button>
            ))}
            <Button variant="ghost" onClick={() => void save(null)} disabled={!instructions}>
              Clear
            </Button>
            <Button variant="primary" onClick={() => void save(text.trim() || null)}>
              Save
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}

/** One Export menu: the chat as Markdown, or its replies as fine-tuning traces (JSONL). */
export function ExportMenu({ disabled, onMarkdown, onTraces }: { disabled: boolean; onMarkdown(): void; onTraces(): void }) {
  const { open, setOpen, anchor, close } = usePopover();
  const pick = (action: () => void) => () => {
    close();
    action();
  };
  return (
    <div className="popover-anchor" ref={anchor}>
      <Button variant="secondary" aria-haspopup="menu" aria-expanded={open} disabled={disabled} onClick={() => setOpen(!open)}>
        Export ▾
      </Button>
      {open && (
        <div className="menu menu-right" role="menu" aria-label="Export">
          <button type="button" role="menuitem" className="menu-item" onClick={pick(onMarkdown)}>
            Markdown (.md)
          </button>
          <button type="button" role="menuitem" className="menu-item" title="Each finished reply, every version, as a training trace" onClick={pick(onTraces)}>
            Traces for fine-tuning (.jsonl)
          </button>
        </div>
      )}
    </div>
  );
}
