import type { EngineChild, EngineExit } from '../engine/child';
import type { HostToEngine } from '../engine/protocol';

/** An engine process under a test's control: it records what the host sends, answers, prints, says ready, and dies when told. */
export function fakeEngineChild(pid = 4242) {
  let message: (raw: unknown) => void = () => {};
  let exit: (e: EngineExit) => void = () => {};
  let output: (text: string) => void = () => {};
  const sent: HostToEngine[] = [];
  const child: EngineChild = {
    pid,
    postMessage: (m) => sent.push(m),
    onMessage: (listener) => (message = listener),
    onExit: (listener) => (exit = listener),
    onOutput: (listener) => (output = listener),
    kill: () => {},
  };
  return {
    child,
    sent,
    ready: () => message({ type: 'ready', pid, methods: ['generate.run'] }),
    /** Delivers a message as if the engine had sent it. */
    send: (raw: unknown) => message(raw),
    print: (text: string) => output(text),
    die: (e: EngineExit) => exit(e),
  };
}
