/** The services' event bus: the contract's events, validated before they go out to any transport. */
import { events, type EventName, type EventPayload } from '../contract/api';

type AnyListener = (name: EventName, payload: unknown) => void;

export class ServiceEvents {
  private readonly listeners = new Set<AnyListener>();
  private readonly onInvalid: (message: string) => void;

  constructor(onInvalid: (message: string) => void = (message) => process.stderr.write(`${message}\n`)) {
    this.onInvalid = onInvalid;
  }

  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.onAny((eventName, payload) => {
      if (eventName === name) listener(payload as EventPayload<E>);
    });
  }

  /** Every event, for transports (IPC forwarder, SSE). */
  onAny(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listeners are attached (transports must detach theirs when a client goes). */
  listenerCount(): number {
    return this.listeners.size;
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const checked = events[name].safeParse(payload);
    if (!checked.success) {
      this.onInvalid(`services: dropped invalid '${name}' event: ${checked.error.message}`);
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(name, checked.data);
      } catch (error) {
        this.onInvalid(`services: '${name}' listener failed: ${(error as Error).message}`);
      }
    }
  }
}
