/**
 * Whether WebGPU really works here: onnxruntime-node lists WebGPU wherever it is bundled, GPU or not, so we start a
 * one-node session on it once per engine process. Without an adapter ORT says "Failed to get a WebGPU adapter".
 */
import * as ort from 'onnxruntime-node';
import { Graph } from '../onnx/graph';
import { serializeModel } from '../onnx/write';

export interface WebgpuProbe {
  available: boolean;
  /** Why not, in ORT's words, shortened ("No supported adapters"). */
  reason?: string;
}

type SessionFactory = (model: Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

async function probeModel(): Promise<Uint8Array> {
  const graph = new Graph('webgpu_probe');
  const x = graph.input('x', 'float32', [2]);
  const [sum] = graph.node('Add', [x, x], [{ dtype: 'float32', shape: [2] }]);
  graph.output(sum, 'y');
  return serializeModel(graph);
}

/** ORT's message reduced to its cause: the text after the last "adapter:" when there is one, else its first line. */
export function probeFailureReason(message: string): string {
  const adapter = /Failed to get a WebGPU adapter:?\s*(.*)$/m.exec(message);
  const reason = (adapter?.[1] || message.split('\n')[0]).trim();
  return reason.length > 200 ? `${reason.slice(0, 200)}…` : reason;
}

export async function probeWebgpu(create: SessionFactory = (model, options) => ort.InferenceSession.create(model, options)): Promise<WebgpuProbe> {
  try {
    const session = await create(await probeModel(), { executionProviders: ['webgpu'], logSeverityLevel: 4 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
    await session.release();
    const y = out.y?.data as Float32Array | undefined;
    return y && y[0] === 2 && y[1] === 4 ? { available: true } : { available: false, reason: 'the test computation gave a wrong result' };
  } catch (error) {
    return { available: false, reason: probeFailureReason((error as Error).message) };
  }
}

let cached: Promise<WebgpuProbe> | undefined;
/** The probe, run once per process (it takes about half a second). */
export function webgpuStatus(): Promise<WebgpuProbe> {
  cached ??= probeWebgpu();
  return cached;
}
