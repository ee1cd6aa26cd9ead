/**
 * jobs.* methods: each start method describes its job (engine method, params, progress mapping, what to do on success)
 * and hands it to the one job runner (./jobs-runner), which keeps the job row, progress events, cancel and crashes.
 */
import type { DummyProgress } from '../engine/handlers/dummy';
import type { ServiceModule } from './context';
import { convertJobSpec, releaseRegisteredOutput, sweepInterruptedConversions } from './jobs-convert';
import { extrapolateEta, runnerFor, toContractJob, type EngineJobSpec } from './jobs-runner';
import { registryFor } from './models';

export { toContractJob };

function dummyJobSpec(steps: number, stepMs: number): EngineJobSpec {
  return {
    kind: 'dummy',
    title: `Test job: ${steps} steps of ${stepMs} ms`,
    method: 'dummy',
    params: { steps, stepMs },
    progress: (data, elapsedMs) => {
      const { fraction } = data as DummyProgress;
      return { fraction, etaSeconds: extrapolateEta(fraction, elapsedMs) };
    },
  };
}

export const jobsService: ServiceModule = (ctx) => {
  const runner = runnerFor(ctx);
  const swept = sweepInterruptedConversions(ctx.store.jobs.list(1000))
    .then((removed) => removed.forEach((folder) => ctx.log('info', `removed the partial output of an interrupted conversion: ${folder}`)))
    .catch((error: Error) => ctx.log('warn', `could not sweep interrupted conversions' partial output: ${error.message}`));
  return {
    handlers: {
      'jobs.list': async () => ctx.store.jobs.list().map((record) => toContractJob(record)),
      'jobs.startDummy': async ({ steps, stepMs }) => runner.start(dummyJobSpec(steps, stepMs)),
      'jobs.startConvert': async (input) => {
        const registry = registryFor(ctx);
        await releaseRegisteredOutput(
          input,
          (dir) => ctx.store.models.getByPath(dir),
          // a stopped or restarting engine has nothing loaded
          (modelId) => (ctx.engine.status().state === 'ready' ? registry.unload(modelId) : Promise.resolve()),
        );
        return runner.start(convertJobSpec(input, { modelsDir: ctx.paths.models, registry }));
      },
      'jobs.cancel': ({ jobId }) => runner.cancel(jobId),
    },
    dispose: async () => {
      await swept;
      await runner.dispose();
    },
  };
};
