import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChatMessage, GenerationSettings } from '../../../electron/contract/inference';
import { Button } from '../../components/Button';
import { Composer } from '../../components/chat/Composer';
import { MessageActions } from '../../components/chat/MessageActions';
import { MessageList } from '../../components/chat/MessageList';
import { ModelPicker } from '../../components/chat/ModelPicker';
import { SettingsPopover } from '../../components/chat/SettingsPopover';
import { VotePanel } from '../../components/chat/VotePanel';
import { EmptyState } from '../../components/EmptyState';
import { CompareIcon, PlusIcon, RefreshIcon } from '../../components/Icons';
import { useCompare } from '../../state/useCompare';
import { compareLinkFromHash } from '../../state/finetune';
import type { ChatSession } from '../../state/useChatSession';
import { loadSettingsForm, parseSettings, saveSettingsForm, type SettingsForm } from '../../state/chatSettings';
import { modelName, pickModelId, pickSecondModelId } from '../../state/models';
import { useModels, type ModelsState } from '../../state/useModels';
import { useMessageActions } from '../../state/useMessageActions';
import './compare.css';
import { useSyncedScroll } from './useSyncedScroll';
import { VerdictRow } from './VerdictRow';

/** The model that wrote a side's last reply: what the side's picker shows when a saved comparison opens. */
function lastModel(session: ChatSession): string | undefined {
  return [...session.state.messages].reverse().find((m) => m.role === 'assistant' && m.stats?.modelId)?.stats?.modelId;
}

function Column({
  side,
  session,
  models,
  modelId,
  onPick,
  onRerun,
  settings,
}: {
  side: 'left' | 'right';
  session: ChatSession;
  models: ModelsState;
  modelId: string | undefined;
  onPick(id: string): void;
  onRerun(): void;
  settings: () => GenerationSettings | undefined;
}) {
  const actions = useMessageActions(session, settings, modelId);
  const busy = session.streaming !== undefined;
  const hasReply = session.state.messages.some((m) => m.role === 'assistant');
  const renderActions = (message: ChatMessage) =>
    message.status === 'streaming' ? null : (
      <MessageActions
        message={message}
        actions={actions}
        busy={busy}
        extra={message.role === 'assistant' ? <VotePanel messageId={message.id} settings={settings} modelId={modelId} disabled={busy} /> : undefined}
      />
    );
  return (
    <section className="compare-column" aria-label={side === 'left' ? 'Model A' : 'Model B'} data-testid={`compare-${side}`}>
      <div className="compare-column-head">
        <ModelPicker
          label={side === 'left' ? 'A' : 'B'}
          models={models.models}
          value={modelId}
          onChange={onPick}
          busy={modelId ? models.busy[modelId] : undefined}
          error={modelId ? models.errors[modelId] : undefined}
        />
        <Button variant="ghost" icon={<RefreshIcon />} onClick={onRerun} disabled={busy || !hasReply || !modelId} title="Run this side's last question again with the model picked here">
          Re-run
        </Button>
      </div>
      {session.sendError && <div className="inline-error chat-inline-error">{session.sendError}</div>}
      <MessageList
        messages={session.state.messages}
        live={session.state.live}
        conversationKey={session.state.chatId}
        testId={`compare-${side}-messages`}
        renderActions={renderActions}
        empty={<p className="compare-empty">Replies from {modelName(models.models, modelId)} appear here.</p>}
      />
    </section>
  );
}

/**
 * One prompt, two models, side by side: each column streams its own thinking and answer with its own stats. Models
 * can change at any time (a re-run or the next prompt uses them); the verdict row compares the final answers.
 */
export function CompareScreen() {
  const models = useModels();
  const compare = useCompare();
  // A link from Fine-tune (#/compare?a=<base>&b=<fine-tuned>&prompt=…) picks both models and fills the prompt.
  const link = useMemo(() => compareLinkFromHash(window.location.hash), []);
  const [picked, setPicked] = useState<[string | undefined, string | undefined]>([link.a, link.b]);
  const [form, setForm] = useState<SettingsForm>(() => loadSettingsForm());
  const [syncScroll, setSyncScroll] = useState(false);
  const columns = useRef<HTMLDivElement>(null);
  const leftId = pickModelId(models.models, picked[0] ?? lastModel(compare.left));
  const rightId = pickSecondModelId(models.models, leftId, picked[1] ?? lastModel(compare.right));
  const started = compare.chatIds[0] !== null;
  useSyncedScroll(columns, syncScroll);

  const { refresh: refreshModels } = models;
  useEffect(() => {
    if (!compare.streaming) refreshModels();
  }, [compare.streaming, refreshModels]);

  const settings = useCallback(() => {
    const parsed = parseSettings(form);
    return parsed.ok ? parsed.settings : undefined;
  }, [form]);

  const pick = (index: 0 | 1, id: string) => {
    setPicked((p) => (index === 0 ? [id, p[1]] : [p[0], id]));
    const model = models.models.find((m) => m.id === id);
    if (model && !model.loaded) void models.load(id);
  };

  const send = async (prompt: string) => {
    const parsed = parseSettings(form);
    if (!parsed.ok || !leftId || !rightId) return false;
    return compare.send(
      prompt,
      [
        { modelId: leftId, modelName: modelName(models.models, leftId) },
        { modelId: rightId, modelName: modelName(models.models, rightId) },
      ],
      parsed.settings,
    );
  };

  const rerun = (side: 0 | 1) => {
    const parsed = parseSettings(form);
    const modelId = side === 0 ? leftId : rightId;
    if (parsed.ok && modelId) void compare.rerun(side, modelId, parsed.settings);
  };

  const startNew = () => {
    compare.reset();
    setPicked([undefined, undefined]);
  };

  const noModels = !models.loading && models.models.length === 0;
  const settingsInvalid = !parseSettings(form).ok;
  return (
    <div className="compare-screen">
      <header className="compare-toolbar">
        <div>
          <h1 className="compare-title">Compare</h1>
          <p className="screen-subtitle">One prompt, two models, side by side.</p>
        </div>
        <div className="card-actions">
          <SettingsPopover
            form={form}
            onChange={(next) => {
              setForm(next);
              saveSettingsForm(next);
            }}
          />
          <Button variant="secondary" icon={<PlusIcon />} onClick={startNew} disabled={compare.streaming || !started}>
            New comparison
          </Button>
        </div>
      </header>
      <div className="compare-options">
        <select
          className="input"
          aria-label="Saved comparisons"
          value={compare.sessionId ?? ''}
          disabled={compare.streaming}
          onChange={(event) => {
            const session = compare.sessions.find((s) => s.id === event.target.value);
            if (session) {
              setPicked([undefined, undefined]);
              compare.open(session);
            }
          }}
        >
          <option value="">{compare.sessions.length ? 'Saved comparisons…' : 'No saved comparisons yet'}</option>
          {compare.sessions.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
            </option>
          ))}
        </select>
        <input
          className="input compare-expected"
          aria-label="Expected answer"
          placeholder="Expected answer (optional)"
          value={compare.expectedAnswer}
          maxLength={1000}
          onChange={(event) => compare.setExpectedAnswer(event.target.value)}
        />
        <label className="compare-sync">
          <input type="checkbox" checked={syncScroll} onChange={(event) => setSyncScroll(event.target.checked)} />
          Sync scrolling
        </label>
      </div>
      {noModels ? (
        <div className="chat-empty-wrap">
          <EmptyState
            icon={<CompareIcon width={32} height={32} />}
            title="Compare needs local models"
            description="Add two R1 distills on the Models screen — say 1.5B and 7B — and send them the same prompt."
          />
        </div>
      ) : (
        <div className="compare-columns" ref={columns}>
          <Column side="left" session={compare.left} models={models} modelId={leftId} onPick={(id) => pick(0, id)} onRerun={() => rerun(0)} settings={settings} />
          <Column side="right" session={compare.right} models={models} modelId={rightId} onPick={(id) => pick(1, id)} onRerun={() => rerun(1)} settings={settings} />
        </div>
      )}
      {compare.verdict?.ready && <VerdictRow verdict={compare.verdict} />}
      {compare.error && <div className="inline-error chat-inline-error" role="alert">{compare.error}</div>}
      <div className="chat-composer-wrap">
        <Composer
          onSend={send}
          onStop={() => void compare.stopBoth()}
          streaming={compare.streaming}
          disabled={noModels || !leftId || !rightId || settingsInvalid}
          disabledReason={noModels ? 'Add models on the Models screen first' : settingsInvalid ? 'Fix the generation settings first' : undefined}
          placeholder="One prompt for both models…"
          hint="Enter sends to both · Shift+Enter new line"
          initialText={link.prompt}
        />
      </div>
    </div>
  );
}
