import { useState, type ReactNode } from 'react';
import type { Chat } from '../../../electron/contract/inference';
import { Button } from '../../components/Button';
import { PencilIcon, PlusIcon, TrashIcon } from '../../components/Icons';
import { canRenameChats } from '../../state/useChatList';
import { formatAgo } from '../../state/format';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

function ChatRow({
  chat,
  selected,
  onSelect,
  onDelete,
  onRename,
}: {
  chat: Chat;
  selected: boolean;
  onSelect(): void;
  onDelete(): Promise<void>;
  onRename(title: string): Promise<void>;
}) {
  const [mode, setMode] = useState<'view' | 'confirm' | 'rename'>('view');
  const [title, setTitle] = useState(chat.title);
  if (mode === 'confirm') {
    return (
      <li className="chat-row chat-row-confirm" data-testid="chat-row">
        <span className="chat-row-question">Delete “{chat.title || 'New chat'}”?</span>
        <div className="chat-row-confirm-actions">
          <Button variant="danger" onClick={() => void onDelete().then(() => setMode('view'))}>
            Delete
          </Button>
          <Button variant="ghost" onClick={() => setMode('view')}>
            Cancel
          </Button>
        </div>
      </li>
    );
  }
  if (mode === 'rename') {
    return (
      <li className="chat-row" data-testid="chat-row">
        <form
          className="chat-rename"
          onSubmit={(event) => {
            event.preventDefault();
            if (title.trim()) void onRename(title.trim()).then(() => setMode('view'));
          }}
        >
          <input className="input" aria-label="Chat title" value={title} maxLength={200} autoFocus onChange={(e) => setTitle(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setMode('view')} />
        </form>
      </li>
    );
  }
  return (
    <li className="chat-row" data-testid="chat-row" aria-current={selected ? 'true' : undefined}>
      <button type="button" className="chat-row-main" onClick={onSelect} title={chat.title}>
        <span className="chat-row-title">{chat.title || 'New chat'}</span>
        <span className="chat-row-time">{formatAgo(chat.updatedAt, Date.now())}</span>
      </button>
      <div className="chat-row-actions">
        {canRenameChats && (
          <button type="button" className="icon-button" aria-label={`Rename ${chat.title}`} onClick={() => setMode('rename')}>
            <PencilIcon />
          </button>
        )}
        <button type="button" className="icon-button" aria-label={`Delete ${chat.title}`} onClick={() => setMode('confirm')}>
          <TrashIcon />
        </button>
      </div>
    </li>
  );
}

/** The chat history: newest first, a New chat button (Ctrl/Cmd+N), rename where the back end allows it, delete with confirm. */
export function ChatSidebar({
  chats,
  selectedId,
  onSelect,
  onNew,
  onDelete,
  onRename,
  error,
  search,
  searchResults,
}: {
  chats: Chat[];
  selectedId: string | null;
  onSelect(chatId: string): void;
  onNew(): void;
  onDelete(chatId: string): Promise<void>;
  onRename(chatId: string, title: string): Promise<void>;
  error: string | null;
  /** The search box, and its results (shown instead of the list while searching). */
  search?: ReactNode;
  searchResults?: ReactNode;
}) {
  return (
    <aside className="chat-sidebar" aria-label="Chats">
      <div className="chat-sidebar-head">
        <h1 className="chat-sidebar-title">Chats</h1>
        <Button variant="secondary" icon={<PlusIcon />} onClick={onNew} title={`New chat (${isMac ? '⌘' : 'Ctrl'}+N)`}>
          New
        </Button>
      </div>
      {search && <div className="chat-sidebar-search">{search}</div>}
      {error && <div className="inline-error">{error}</div>}
      {searchResults ?? <ul className="chat-rows" data-testid="chat-list">
        {selectedId === null && (
          <li className="chat-row" aria-current="true">
            <span className="chat-row-main chat-row-draft">
              <span className="chat-row-title">New chat</span>
            </span>
          </li>
        )}
        {chats.map((chat) => (
          <ChatRow
            key={chat.id}
            chat={chat}
            selected={chat.id === selectedId}
            onSelect={() => onSelect(chat.id)}
            onDelete={() => onDelete(chat.id)}
            onRename={(title) => onRename(chat.id, title)}
          />
        ))}
      </ul>}
    </aside>
  );
}
