import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { ConnectionState, RendererTransport } from '../api';

const ApiContext = createContext<RendererTransport | null>(null);

export function ApiProvider({ transport, children }: { transport: RendererTransport; children: ReactNode }) {
  return <ApiContext.Provider value={transport}>{children}</ApiContext.Provider>;
}

export function useApi(): RendererTransport {
  const transport = useContext(ApiContext);
  if (!transport) throw new Error('useApi must be used inside <ApiProvider>');
  return transport;
}

export function useConnection(): ConnectionState {
  const api = useApi();
  const [state, setState] = useState(api.connection());
  useEffect(() => {
    setState(api.connection());
    return api.onConnection(setState);
  }, [api]);
  return state;
}
