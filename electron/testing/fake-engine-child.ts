import type { EngineChild, EngineExit } from '../engine/child';

/** An engine process under a test's control: it prints, says ready, and dies when told. */
export function fakeEngineChild(pid = 4242) {
  let message: (raw: unknown) => void = () => {};
  let exit: (e: EngineExit) => void = () => {};
  let output: (text: string) => void = () => {};
  const child: EngineChild = {
    pid,
    postMessage: () => {},
    onMessage: (listener) => (message = listener),
    onExit: (listener) => (exit = listener),
    onOutput: (listener) => (output = listener),
    kill: () => {},
  };
  return {
    child,
    ready: () => message({ type: 'ready', pid, methods: ['generate.run'] }),
    print: (text: string) => output(text),
    die: (e: EngineExit) => exit(e),
  };
}
