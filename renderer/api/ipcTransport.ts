import type { DistilleryApi, EventName } from '../../electron/contract/api';
import { toApiError } from './errors';
import { createConnectionCell, type RendererTransport } from './transport';
import { checkInput, checkOutput, parseEvent } from './validate';

/** Desktop app: the preload's `window.distillery` bridge. Main validates too; this side checks what comes back. */
export function createIpcTransport(bridge: DistilleryApi): RendererTransport {
  const connection = createConnectionCell('connected');
  return {
    kind: 'ipc',
    async call(method, input) {
      const body = checkInput(method, input);
      let output: unknown;
      try {
        output = await bridge.call(method, body as never);
      } catch (reason) {
        throw toApiError(reason);
      }
      return checkOutput(method, output) as never;
    },
    on(event, listener) {
      return bridge.on(event, (payload: unknown) => {
        const parsed = parseEvent(event as EventName, payload);
        if (parsed.ok) (listener as (value: unknown) => void)(parsed.value);
      });
    },
    connection: connection.get,
    onConnection: connection.subscribe,
  };
}
