import { useCallback, useEffect, useState } from 'react';
import type { SearchHit } from '../../../electron/contract/chat';
import type { ChatMessage } from '../../../electron/contract/inference';
import { Button } from '../../components/Button';
import { ExportMenu, InstructionsButton } from '../../components/chat/ChatMenu';
import { ChatSearchBox, ChatSearchResults } from '../../components/chat/ChatSearch';
import { Composer } from '../../components/chat/Composer';
import { MessageActions } from '../../components/chat/MessageActions';
import { MessageList } from '../../components/chat/MessageList';
import { ModelPicker } from '../../components/chat/ModelPicker';
import { SettingsPopover } from '../../components/chat/SettingsPopover';
import { VotePanel } from '../../components/chat/VotePanel';
import { EmptyState } from '../../components/EmptyState';
import { ChatIcon, SidebarIcon } from '../../components/Icons';
import { useChatList } from '../../state/useChatList';
import { useChatListPanel } from '../../state/useChatListPanel';
import { chatAfterDelete } from '../../state/chatMessages';
import { useChatSession } from '../../state/useChatSession';
import { loadSettingsForm, parseSettings, saveSettingsForm, type SettingsForm } from '../../state/chatSettings';
import { pickModelId } from '../../state/models';
import { useModels } from '../../state/useModels';
import { useChatTools } from '../../state/useChatTools';
import { useChatSearch } from '../../state/useChatSearch';
import { useMessageActions } from '../../state/useMessageActions';
import { ChatSidebar } from './ChatSidebar';
import './chatScreen.css';

const OPEN_CHAT_KEY = 'distillery.chat.open';

function storedOpenChat(): string | null {
  try {
    return localStorage.getItem(OPEN_CHAT_KEY);
  } catch {
    return null;
  }
}

function rememberOpenChat(chatId: string | null): void {
  try {
    if (chatId) localStorage.setItem(OPEN_CHAT_KEY, chatId);
    else localStorage.removeItem(OPEN_CHAT_KEY);
  } catch {
    // Storage disabled: the app just opens a new chat next time.
  }
}

/** Ctrl+N (Cmd+N on macOS) starts a new chat. */
function useNewChatShortcut(onNew: () => void): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'n') {
        event.preventDefault();
        onNew();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onNew]);
}

export function ChatScreen({ onOpenModels }: { onOpenModels(): void }) {
  const list = useChatList();
  const models = useModels();
  const [selectedId, setSelectedId] = useState<string | null>(storedOpenChat);
  const [pickedModel, setPickedModel] = useState<string | undefined>();
  const [form, setForm] = useState<SettingsForm>(() => loadSettingsForm());
  const session = useChatSession(selectedId);
  const listPanel = useChatListPanel();
  const selectedChat = list.chats.find((c) => c.id === selectedId);
  const modelId = pickModelId(models.models, pickedModel ?? selectedChat?.modelId);
  const search = useChatSearch();
  const tools = useChatTools();
  const [instructions, setInstructions] = useState<Record<string, string | undefined>>({});
  const [revealId, setRevealId] = useState<string | null>(null);
  const currentSettings = useCallback(() => {
    const parsed = parseSettings(form);
    return parsed.ok ? parsed.settings : undefined;
  }, [form]);
  const messageActions = useMessageActions(session, currentSettings, modelId);
  const chatInstructions = selectedId ? (instructions[selectedId] ?? selectedChat?.instructions) : undefined;

  // A search hit opened: bring its message into view once it is on screen.
  useEffect(() => {
    if (!revealId) return;
    const element = document.querySelector(`[data-message-id="${CSS.escape(revealId)}"]`);
    if (!element) return;
    element.scrollIntoView({ block: 'center' });
    setRevealId(null);
  }, [revealId, session.state.messages]);

  // A stored chat that no longer exists (deleted elsewhere) opens a new chat instead.
  useEffect(() => {
    if (list.loaded && selectedId && !list.chats.some((c) => c.id === selectedId) && session.loadError) setSelectedId(null);
  }, [list.loaded, list.chats, selectedId, session.loadError]);

  useEffect(() => rememberOpenChat(selectedId), [selectedId]);

  // What runs (provider, dtype) is known once a reply finished: re-read the models then.
  const { refresh: refreshModels } = models;
  const streamingId = session.streaming?.id;
  useEffect(() => {
    if (!streamingId) refreshModels();
  }, [streamingId, refreshModels]);

  const newChat = useCallback(() => {
    setSelectedId(null);
    setPickedModel(undefined);
  }, []);
  useNewChatShortcut(newChat);

  const selectChat = (chatId: string) => {
    setSelectedId(chatId);
    setPickedModel(undefined);
    listPanel.picked();
  };

  const pickModel = (id: string) => {
    setPickedModel(id);
    const model = models.models.find((m) => m.id === id);
    if (model && !model.loaded) void models.load(id);
  };

  const updateForm = (next: SettingsForm) => {
    setForm(next);
    saveSettingsForm(next);
  };

  const send = async (content: string): Promise<boolean> => {
    const parsed = parseSettings(form);
    if (!parsed.ok || !modelId) return false;
    let chatId = selectedId;
    if (!chatId) {
      const chat = await list.create(modelId);
      if (!chat) return false;
      chatId = chat.id;
      setSelectedId(chatId);
    }
    return session.send({ chatId, content, modelId, settings: parsed.settings });
  };

  const remove = async (chatId: string) => {
    const next = chatAfterDelete(list.chats, chatId);
    if (await list.remove(chatId)) {
      if (chatId === selectedId) setSelectedId(next);
    }
  };

  const openHit = async (hit: SearchHit) => {
    const view = await search.reveal(hit);
    if (view && hit.chatId === selectedId) session.replace(view.chat.id, view.messages);
    if (hit.chatId !== selectedId) selectChat(hit.chatId);
    setRevealId(hit.messageId ?? null);
  };

  const saveInstructions = async (text: string | null): Promise<boolean> => {
    let chatId = selectedId;
    if (!chatId) {
      if (!modelId) return false;
      const chat = await list.create(modelId);
      if (!chat) return false;
      chatId = chat.id;
      setSelectedId(chatId);
    }
    const saved = await tools.setInstructions(chatId, text);
    if (!saved) return false;
    setInstructions((all) => ({ ...all, [saved.id]: saved.instructions }));
    return true;
  };

  const busy = session.streaming !== undefined;
  const renderActions = (message: ChatMessage) =>
    message.status === 'streaming' ? null : (
      <MessageActions
        message={message}
        actions={messageActions}
        busy={busy}
        extra={message.role === 'assistant' ? <VotePanel messageId={message.id} settings={currentSettings} modelId={modelId} disabled={busy} /> : undefined}
      />
    );

  const settingsInvalid = !parseSettings(form).ok;
  const noModels = !models.loading && models.models.length === 0;
  return (
    <div className="chat-screen" data-list={listPanel.open ? 'open' : 'closed'} data-narrow={listPanel.narrow}>
      {listPanel.open && (
        <ChatSidebar
          chats={list.chats}
          selectedId={selectedId}
          onSelect={selectChat}
          onNew={() => {
            newChat();
            listPanel.picked();
          }}
          onDelete={remove}
          onRename={async (chatId, title) => void (await list.rename(chatId, title))}
          error={list.error}
          search={<ChatSearchBox search={search} />}
          searchResults={search.query.trim() ? <ChatSearchResults search={search} onOpen={(hit) => void openHit(hit)} /> : undefined}
        />
      )}
      {listPanel.open && listPanel.narrow && <div className="chat-drawer-scrim" onClick={listPanel.toggle} aria-hidden="true" />}
      <section className="chat-main" aria-label="Conversation">
        <header className="chat-toolbar">
          <button
            type="button"
            className="icon-button chat-list-toggle"
            aria-label={listPanel.open ? 'Hide chat list' : 'Show chat list'}
            aria-expanded={listPanel.open}
            title={listPanel.open ? 'Hide chat list' : 'Show chat list'}
            onClick={listPanel.toggle}
          >
            <SidebarIcon width={18} height={18} />
          </button>
          <ModelPicker
            models={models.models}
            value={modelId}
            onChange={pickModel}
            busy={modelId ? models.busy[modelId] : undefined}
            error={modelId ? models.errors[modelId] : undefined}
          />
          <InstructionsButton key={selectedId ?? 'new'} instructions={chatInstructions} onSave={saveInstructions} />
          <SettingsPopover form={form} onChange={updateForm} />
          <ExportMenu
            disabled={!selectedId || session.state.messages.length === 0}
            onMarkdown={() => selectedId && void tools.exportMarkdown(selectedId)}
            onTraces={() => selectedId && void tools.exportTraces(selectedId, selectedChat?.title ?? 'chat')}
          />
        </header>
        {tools.error && (
          <div className="inline-error chat-inline-error" role="alert">
            {tools.error}
          </div>
        )}
        {noModels ? (
          <div className="chat-empty-wrap">
            <EmptyState
              icon={<ChatIcon width={32} height={32} />}
              title="No model to chat with yet"
              description="Chat runs a local DeepSeek-R1 distill on this machine. Nothing leaves your computer. Add a model folder first."
              action={
                <Button variant="primary" onClick={onOpenModels}>
                  Go to Models
                </Button>
              }
            />
          </div>
        ) : (
          <MessageList
            messages={session.state.chatId === selectedId ? session.state.messages : []}
            live={session.state.live}
            conversationKey={selectedId}
            onRetry={(prompt) => void send(prompt)}
            renderActions={renderActions}
            empty={
              <div className="chat-hello">
                <ChatIcon width={28} height={28} />
                <h2>{selectedId ? 'This chat is empty' : 'New chat'}</h2>
                <p>The model thinks first — its reasoning streams in a panel you can fold — then answers.</p>
              </div>
            }
          />
        )}
        {session.loadError && selectedId && <div className="inline-error chat-inline-error">{session.loadError}</div>}
        {session.sendError && (
          <div className="inline-error chat-inline-error" role="alert" data-testid="send-error">
            {session.sendError}
          </div>
        )}
        <div className="chat-composer-wrap">
          <Composer
            onSend={send}
            onStop={() => void session.stop()}
            streaming={session.streaming !== undefined}
            disabled={noModels || !modelId || settingsInvalid}
            disabledReason={noModels ? 'Add a model on the Models screen first' : settingsInvalid ? 'Fix the generation settings first' : undefined}
            autoFocusKey={selectedId}
          />
        </div>
      </section>
    </div>
  );
}
