/**
 * DISTILLERY_ENGINE_NICE=n lowers the engine's CPU priority by n steps (a measurement hook for the long-thought
 * benchmark: does the page keep its frames when the model's threads yield to it?). Imported first by main.ts, so the
 * threads ONNX Runtime and libuv start later inherit it (on Linux a priority is per thread). Never raises it.
 */
import os from 'node:os';

const steps = Number(process.env.DISTILLERY_ENGINE_NICE ?? '');
if (Number.isInteger(steps) && steps > 0) {
  try {
    os.setPriority(Math.min(19, os.getPriority() + steps));
  } catch {
    // Not allowed here: run at the inherited priority.
  }
}
