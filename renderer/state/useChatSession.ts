import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatDelta, ChatMessage, GenerationSettings } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi, useConnection } from './ApiContext';
import { applyDelta, applyMessage, emptyConversation, loadConversation, streamingReply, type ConversationState } from './chatMessages';
import { pacedFlush } from './pacedFlush';

export interface ChatSession {
  state: ConversationState;
  /** Reading the chat failed (e.g. it was deleted elsewhere). */
  loadError: string | null;
  loading: boolean;
  /** The reply streaming now, if any. */
  streaming: ChatMessage | undefined;
  send(input: { chatId: string; content: string; modelId?: string; settings?: GenerationSettings }): Promise<boolean>;
  stop(): Promise<void>;
  sendError: string | null;
  clearSendError(): void;
  /** Shows another branch of the chat (after a version switch or a delete): the server's view replaces ours. */
  replace(chatId: string, messages: ChatMessage[]): void;
  /** Reports an error of an action on this conversation where send errors show. */
  reportError(message: string): void;
}

/**
 * One open conversation: loads it, applies `chat.delta` / `chat.message` events as they come, sends and stops.
 * Events for the chat are accepted from the moment it is opened, and the loaded messages are merged in (not swapped
 * in), so pieces that stream while the chat is being read are not lost.
 */
export function useChatSession(chatId: string | null): ChatSession {
  const api = useApi();
  const connection = useConnection();
  const [state, setState] = useState<ConversationState>(() => emptyConversation(chatId));
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const current = useRef(state);
  current.current = state;

  useEffect(() => {
    setState((s) => (s.chatId === chatId ? s : emptyConversation(chatId)));
    setLoadError(null);
    setSendError(null);
  }, [chatId]);

  // Pieces arrive up to 25 times a second: apply them together, paced (see pacedFlush), not once per piece. A message
  // update first applies the pieces before it, so the order of events is kept.
  useEffect(() => {
    let pending: { delta: ChatDelta; at: number }[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      setState((s) => batch.reduce((acc, { delta, at }) => applyDelta(acc, delta, at), s));
    };
    const frames = pacedFlush(flush);
    const offDelta = api.on('chat.delta', (delta) => {
      pending.push({ delta, at: Date.now() });
      frames.schedule();
    });
    const offMessage = api.on('chat.message', (message) => {
      flush();
      setState((s) => applyMessage(s, message, Date.now()));
    });
    return () => {
      offDelta();
      offMessage();
      frames.cancel();
    };
  }, [api]);

  useEffect(() => {
    if (!chatId || connection !== 'connected') return;
    let alive = true;
    setLoading(true);
    api.call('chats.get', { chatId }).then(
      ({ messages }) => {
        if (!alive) return;
        const now = Date.now();
        setState((s) => messages.reduce((acc, m) => applyMessage(acc, m, now), s.chatId === chatId ? s : emptyConversation(chatId)));
        setLoadError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (!alive) return;
        setLoadError(errorMessage(reason));
        setLoading(false);
      },
    );
    return () => {
      alive = false;
    };
  }, [api, chatId, connection]);

  const send = useCallback<ChatSession['send']>(
    async (input) => {
      setSendError(null);
      try {
        const { userMessage, assistantMessage } = await api.call('chats.send', input);
        const now = Date.now();
        setState((s) => applyMessage(applyMessage(s.chatId === input.chatId ? s : emptyConversation(input.chatId), userMessage, now), assistantMessage, now));
        return true;
      } catch (reason) {
        setSendError(errorMessage(reason));
        return false;
      }
    },
    [api],
  );

  const stop = useCallback(async () => {
    const reply = streamingReply(current.current);
    if (!reply) return;
    try {
      const stopped = await api.call('chats.stop', { messageId: reply.id });
      setState((s) => applyMessage(s, stopped, Date.now()));
    } catch (reason) {
      setSendError(errorMessage(reason));
    }
  }, [api]);

  const clearSendError = useCallback(() => setSendError(null), []);
  const replace = useCallback((id: string, messages: ChatMessage[]) => setState(loadConversation(id, messages, Date.now())), []);

  return { state, loadError, loading, streaming: streamingReply(state), send, stop, sendError, clearSendError, replace, reportError: setSendError };
}
