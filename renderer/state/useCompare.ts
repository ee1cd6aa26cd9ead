import { useCallback, useEffect, useState } from 'react';
import type { CompareSession, CompareVerdict } from '../../electron/contract/chat';
import type { GenerationSettings } from '../../electron/contract/inference';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';
import { useChatSession, type ChatSession } from './useChatSession';
import { useDebounced } from './useDebounced';
import { useQuery } from './useQuery';

export interface CompareSide {
  modelId: string;
  modelName: string;
}

export interface CompareState {
  /** The two conversations: each side is an ordinary chat with its own model (so it also shows up in Chat). */
  left: ChatSession;
  right: ChatSession;
  chatIds: [string | null, string | null];
  /** The saved session these chats belong to (null before the first prompt). */
  sessionId: string | null;
  sessions: CompareSession[];
  expectedAnswer: string;
  setExpectedAnswer(text: string): void;
  verdict: CompareVerdict | null;
  streaming: boolean;
  error: string | null;
  send(prompt: string, sides: [CompareSide, CompareSide], settings: GenerationSettings): Promise<boolean>;
  /** Runs one side's last question again, with the model now picked for it (a new version of its reply). */
  rerun(side: 0 | 1, modelId: string, settings: GenerationSettings): Promise<boolean>;
  stopBoth(): Promise<void>;
  reset(): void;
  open(session: CompareSession): void;
}

export function compareTitle(prompt: string, modelName: string): string {
  const short = prompt.trim().replace(/\s+/g, ' ');
  return `⇄ ${short.length > 40 ? `${short.slice(0, 40)}…` : short} — ${modelName}`.slice(0, 200);
}

export function sessionTitle(prompt: string): string {
  const short = prompt.trim().replace(/\s+/g, ' ');
  return (short.length > 60 ? `${short.slice(0, 60)}…` : short) || 'Comparison';
}

/** Saves the expected answer this long after the last keystroke. */
const SAVE_DELAY_MS = 400;
/** Reads the verdict this long after the last change (a keystroke in the expected answer, a side finishing). */
const VERDICT_DELAY_MS = 150;
const NO_SESSIONS: CompareSession[] = [];

/**
 * One prompt to two models at once, saved as a Compare session (reopened from a list). Follow-up prompts continue
 * both conversations; either side can be re-run with another model; the verdict is read once both have finished.
 */
export function useCompare(): CompareState {
  const api = useApi();
  const [chatIds, setChatIds] = useState<[string | null, string | null]>([null, null]);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [expectedAnswer, setExpected] = useState('');
  const [error, setError] = useState<string | null>(null);
  const left = useChatSession(chatIds[0]);
  const right = useChatSession(chatIds[1]);
  const streaming = left.streaming !== undefined || right.streaming !== undefined;

  const listed = useQuery('compare.list', {});
  const refreshSessions = listed.refresh;

  // The verdict: re-read whenever a side finishes (or the expected answer changes) and nothing streams, once the
  // typing has paused.
  const leftLast = left.state.messages.at(-1);
  const rightLast = right.state.messages.at(-1);
  const finishedKey = `${leftLast?.id}:${leftLast?.status}|${rightLast?.id}:${rightLast?.status}`;
  const verdictInput =
    chatIds[0] && chatIds[1] && !streaming ? { leftChatId: chatIds[0], rightChatId: chatIds[1], expectedAnswer: expectedAnswer.trim() || undefined } : null;
  const request = useDebounced(verdictInput && JSON.stringify({ input: verdictInput, finishedKey }), VERDICT_DELAY_MS);
  // `opened` counts New comparison / open: reopening the same session within the debounce would otherwise leave the
  // debounced request unchanged, and the cleared verdict was never read again
  const [opened, setOpened] = useState(0);
  const verdict = useQuery('compare.verdict', request ? (JSON.parse(request) as { input: NonNullable<typeof verdictInput> }).input : null, { key: `${opened}|${request}` });
  const { setData: setVerdict } = verdict;

  // The expected answer is part of the saved session.
  useEffect(() => {
    if (!sessionId) return;
    const timer = setTimeout(() => {
      api.call('compare.save', { sessionId, expectedAnswer: expectedAnswer.trim() || null }).catch((reason: unknown) => setError(errorMessage(reason)));
    }, SAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [api, sessionId, expectedAnswer]);

  const send = useCallback<CompareState['send']>(
    async (prompt, sides, settings) => {
      setError(null);
      try {
        const ids = [...chatIds] as [string | null, string | null];
        for (const index of [0, 1] as const) {
          if (!ids[index]) {
            const chat = await api.call('chats.create', { modelId: sides[index].modelId, title: compareTitle(prompt, sides[index].modelName) });
            ids[index] = chat.id;
          }
        }
        setChatIds(ids);
        if (!sessionId) {
          const saved = await api.call('compare.save', {
            title: sessionTitle(prompt),
            leftChatId: ids[0],
            rightChatId: ids[1],
            expectedAnswer: expectedAnswer.trim() || null,
          });
          setSessionId(saved.id);
          refreshSessions();
        }
        const results = await Promise.all(
          ([left, right] as const).map((session, index) =>
            session.send({ chatId: ids[index]!, content: prompt, modelId: sides[index].modelId, settings }),
          ),
        );
        return results.some(Boolean);
      } catch (reason) {
        setError(errorMessage(reason));
        return false;
      }
    },
    [api, chatIds, left, right, sessionId, expectedAnswer, refreshSessions],
  );

  const rerun = useCallback<CompareState['rerun']>(
    async (side, modelId, settings) => {
      const session = side === 0 ? left : right;
      const reply = [...session.state.messages].reverse().find((m) => m.role === 'assistant');
      if (!reply) return false;
      session.clearSendError();
      try {
        await api.call('chats.regenerate', { messageId: reply.id, modelId, settings });
        return true;
      } catch (reason) {
        session.reportError(errorMessage(reason));
        return false;
      }
    },
    [api, left, right],
  );

  const stopBoth = useCallback(async () => {
    await Promise.all([left.stop(), right.stop()]);
  }, [left, right]);

  const reset = useCallback(() => {
    setChatIds([null, null]);
    setSessionId(null);
    setExpected('');
    setVerdict(null);
    setOpened((n) => n + 1);
    setError(null);
  }, [setVerdict]);

  const open = useCallback((session: CompareSession) => {
    setChatIds([session.leftChatId ?? null, session.rightChatId ?? null]);
    setSessionId(session.id);
    setExpected(session.expectedAnswer ?? '');
    setVerdict(null);
    setOpened((n) => n + 1);
    setError(null);
  }, [setVerdict]);

  return {
    left,
    right,
    chatIds,
    sessionId,
    sessions: listed.data ?? NO_SESSIONS,
    expectedAnswer,
    setExpectedAnswer: setExpected,
    verdict: verdictInput ? verdict.data : null, // none while a side streams or after New comparison
    streaming,
    error: error ?? listed.error ?? verdict.error,
    send,
    rerun,
    stopBoth,
    reset,
    open,
  };
}
