import { createContext, useContext, type ReactNode } from 'react';
import { useEngineStatusSource, type EngineStatusState } from './useEngineStatus';

const EngineContext = createContext<EngineStatusState | null>(null);

export function EngineStatusProvider({ children }: { children: ReactNode }) {
  const state = useEngineStatusSource();
  return <EngineContext.Provider value={state}>{children}</EngineContext.Provider>;
}

export function useEngine(): EngineStatusState {
  const state = useContext(EngineContext);
  if (!state) throw new Error('useEngine must be used inside <EngineStatusProvider>');
  return state;
}
