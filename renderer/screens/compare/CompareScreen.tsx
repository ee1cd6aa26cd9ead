import { useEffect, useState } from 'react';
import { Button } from '../../components/Button';
import { Composer } from '../../components/chat/Composer';
import { PlusIcon } from '../../components/chat/icons';
import { MessageList } from '../../components/chat/MessageList';
import { ModelPicker } from '../../components/chat/ModelPicker';
import { SettingsPopover } from '../../components/chat/SettingsPopover';
import { EmptyState } from '../../components/EmptyState';
import { CompareIcon } from '../../components/Icons';
import '../../components/chat/chat.css';
import '../../components/chat/screens.css';
import { useCompare } from '../../state/chatCompare';
import type { ChatSession } from '../../state/chatSession';
import { loadSettingsForm, parseSettings, saveSettingsForm, type SettingsForm } from '../../state/chatSettings';
import { modelName, pickModelId, pickSecondModelId } from '../../state/models';
import { useModels, type ModelsState } from '../../state/modelsStore';

function Column({
  side,
  session,
  models,
  modelId,
  onPick,
  locked,
}: {
  side: 'left' | 'right';
  session: ChatSession;
  models: ModelsState;
  modelId: string | undefined;
  onPick(id: string): void;
  locked: boolean;
}) {
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
          disabled={locked}
        />
      </div>
      {session.sendError && <div className="inline-error chat-inline-error">{session.sendError}</div>}
      <MessageList
        messages={session.state.messages}
        live={session.state.live}
        conversationKey={session.state.chatId}
        testId={`compare-${side}-messages`}
        empty={<p className="compare-empty">Replies from {modelName(models.models, modelId)} appear here.</p>}
      />
    </section>
  );
}

/** One prompt, two models, side by side: each column streams its own thinking and answer with its own stats. */
export function CompareScreen() {
  const models = useModels();
  const compare = useCompare();
  const [picked, setPicked] = useState<[string | undefined, string | undefined]>([undefined, undefined]);
  const [form, setForm] = useState<SettingsForm>(() => loadSettingsForm());
  const leftId = pickModelId(models.models, picked[0]);
  const rightId = pickSecondModelId(models.models, leftId, picked[1]);
  const locked = compare.chatIds[0] !== null; // a running pair keeps its models; "New comparison" frees them

  const { refresh: refreshModels } = models;
  useEffect(() => {
    if (!compare.streaming) refreshModels();
  }, [compare.streaming, refreshModels]);

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
          <Button variant="secondary" icon={<PlusIcon />} onClick={compare.reset} disabled={compare.streaming || !locked}>
            New comparison
          </Button>
        </div>
      </header>
      {noModels ? (
        <div className="chat-empty-wrap">
          <EmptyState
            icon={<CompareIcon width={32} height={32} />}
            title="Compare needs local models"
            description="Add two R1 distills on the Models screen — say 1.5B and 7B — and send them the same prompt."
          />
        </div>
      ) : (
        <div className="compare-columns">
          <Column side="left" session={compare.left} models={models} modelId={leftId} onPick={(id) => pick(0, id)} locked={locked} />
          <Column side="right" session={compare.right} models={models} modelId={rightId} onPick={(id) => pick(1, id)} locked={locked} />
        </div>
      )}
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
        />
      </div>
    </div>
  );
}
