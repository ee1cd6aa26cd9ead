import type { SearchHit } from '../../../electron/contract/chat';
import { snippetParts } from '../../state/messageVersions';
import type { ChatSearchState } from '../../state/useChatSearch';

function Snippet({ text }: { text: string }) {
  return (
    <span className="search-snippet">
      {snippetParts(text).map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
    </span>
  );
}

/** The search box of the chat list. */
export function ChatSearchBox({ search }: { search: ChatSearchState }) {
  return (
    <input
      className="input chat-search-input"
      type="search"
      aria-label="Search chats"
      placeholder="Search chats…"
      value={search.query}
      onChange={(event) => search.setQuery(event.target.value)}
      onKeyDown={(event) => event.key === 'Escape' && search.setQuery('')}
    />
  );
}

/** Search results in place of the chat list: matching titles and messages, the matched words marked (as text). */
export function ChatSearchResults({ search, onOpen }: { search: ChatSearchState; onOpen(hit: SearchHit): void }) {
  if (search.error) return <div className="inline-error">{search.error}</div>;
  if (search.hits.length === 0) {
    return <p className="chat-search-empty">{search.searching ? 'Searching…' : `Nothing found for “${search.query.trim()}”.`}</p>;
  }
  return (
    <ul className="chat-rows" data-testid="search-results" aria-label="Search results">
      {search.hits.map((hit) => (
        <li key={`${hit.chatId}:${hit.messageId ?? 'title'}`} className="chat-row" data-testid="search-hit">
          <button type="button" className="chat-row-main chat-search-hit" onClick={() => onOpen(hit)}>
            <span className="chat-row-title">{hit.title || 'New chat'}</span>
            <span className="chat-search-where">{hit.messageId ? (hit.role === 'user' ? 'You' : 'Reply') : 'Title'}</span>
            {hit.messageId && <Snippet text={hit.snippet} />}
          </button>
        </li>
      ))}
    </ul>
  );
}
