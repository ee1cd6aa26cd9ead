/**
 * Chat while training: a chat's time to first token (wall clock from chats.send to the first streamed piece, as the
 * user sees it) with no training, during a LoRA run in the training engine's own process (the app's setup), and —
 * the baseline it avoids — during a run in the chat's engine process.
 *
 *   npm run bench -- finetune-chat
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunInput } from '../electron/contract/finetune';
import { EngineHost } from '../electron/engine/host';
import { nodeEngineSpawner } from '../electron/engine/spawn-node';
import { createServices, type Services } from '../electron/services';
import { registryFor } from '../electron/services/models';
import { writeFinetuneTraceFolder } from '../electron/testing/finetune-traces';
import { convertedModel, makeTinyModel } from '../electron/testing/fixtures';
import { tinyOnnxModel } from '../electron/testing/model-folders';

const CHATS = 3;
const WAIT_CAP_MS = 60_000;

async function ttft(services: Services, modelId: string): Promise<number> {
  const chat = await services.call('chats.create', { modelId });
  const started = performance.now();
  const first = new Promise<number>((resolve) => {
    const off = services.events.on('chat.delta', (delta) => {
      if (delta.chatId !== chat.id) return;
      off();
      resolve(performance.now() - started);
    });
  });
  const { assistantMessage } = await services.call('chats.send', { chatId: chat.id, content: 'What is 2 + 3?', settings: { maxNewTokens: 8, seed: 1 } });
  // Behind a training step in the same process a reply can wait for minutes: give up at WAIT_CAP_MS and say so.
  const ms = await Promise.race([first, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), WAIT_CAP_MS))]);
  await services.call('chats.stop', { messageId: assistantMessage.id }).catch(() => undefined);
  return ms;
}

async function measure(services: Services, modelId: string): Promise<number[]> {
  const figures: number[] = [];
  for (let i = 0; i < CHATS; i++) {
    figures.push(await ttft(services, modelId));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return figures;
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const shown = (m: number) => (Number.isFinite(m) ? `${m.toFixed(0)}` : `>${WAIT_CAP_MS}`);
  return `median ${shown(sorted[Math.floor(sorted.length / 2)])} ms, max ${shown(sorted.at(-1)!)} ms (${ms.map(shown).join(', ')})`;
};

async function scenario(ownTrainingEngine: boolean, train: boolean): Promise<number[]> {
  const base = (await makeTinyModel({ arch: 'qwen2', seed: 21, hidden: 256, layers: 4, heads: 4, kvHeads: 2, intermediate: 768 })).hfDir;
  const { onnxDir } = await convertedModel(base);
  const chatModel = await tinyOnnxModel();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-ft-'));
  const engine = new EngineHost({ spawn: nodeEngineSpawner() });
  const trainEngine = ownTrainingEngine ? new EngineHost({ spawn: nodeEngineSpawner() }) : undefined;
  const services = createServices({ dataDir, engineHost: engine, trainEngineHost: trainEngine, transport: 'http', version: 'bench' });
  try {
    await engine.start();
    const baseId = (await registryFor(services.context).add(onnxDir, 'bench base', { convertedFrom: base })).id;
    const chatId = (await services.call('models.add', { path: chatModel, name: 'bench chat' })).id;
    await services.call('models.load', { modelId: chatId });
    if (!train) return await measure(services, chatId);
    const traces = writeFinetuneTraceFolder(path.join(dataDir, 'traces'));
    const input: RunInput = {
      modelId: baseId, dataFolder: traces.folder,
      hyper: { rank: 16, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], lr: 2e-4, epochs: 20, maxLength: 256, batch: 1, accumulation: 1, precision: 'fp32' },
      valFraction: 0.1, seed: 0, caps: { evalQuestions: 0, maxNewTokens: 1, sampleEvery: 0 },
    };
    const run = await services.call('finetune.start', input);
    while ((await services.call('finetune.run', { runId: run.id })).step < 1) await new Promise((resolve) => setTimeout(resolve, 100));
    const figures = await measure(services, chatId);
    const detail = await services.call('finetune.run', { runId: run.id });
    const rate = detail.metrics.at(-1)?.tokensPerSecond;
    console.log(`  training went on: step ${detail.step}/${detail.totalSteps}, ${rate ? Math.round(rate) : '?'} tokens/s`);
    await services.call('finetune.cancel', { runId: run.id });
    return figures;
  } finally {
    await Promise.all([engine.stop(), trainEngine?.stop()]);
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`chat time to first token (${CHATS} chats each, wall clock from send to the first piece)`);
console.log(`  no training:                          ${summary(await scenario(true, false))}`);
console.log(`  training in its own engine (the app): ${summary(await scenario(true, true))}`);
console.log(`  training in the chat's engine:        ${summary(await scenario(false, true))}`);
