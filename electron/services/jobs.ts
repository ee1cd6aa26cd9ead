/**
 * jobs.* methods: each start method describes its job (where it runs, its params, its progress, what to do on
 * success) and hands it to the one job runner (./jobs-runner), which keeps the job row, progress events, pause,
 * resume, cancel and crashes.
 */
import { api } from '../contract/api';
import type { DiagnosticsProgress } from '../contract/engine';
import type { ServiceModule } from './context';
import { convertJobSpec, releaseRegisteredOutput, sweepInterruptedConversions } from './jobs-convert';
import { extrapolateEta, runnerFor, toContractJob, type EngineJobSpec } from './jobs-runner';
import { registryFor } from './models';

export { toContractJob };

/**
 * The diagnostics job (Settings › Diagnostics): steps of a fixed length in the engine, proving that jobs run there
 * with progress, pause, resume and cancel. A resume continues after the steps already done.
 */
function diagnosticsJobSpec(steps: number, stepMs: number, progress = 0): EngineJobSpec {
  const fromStep = Math.min(steps, Math.floor(progress * steps));
  return {
    kind: 'diagnostics',
    title: `Test job: ${steps} steps of ${stepMs} ms`,
    method: 'diagnostics',
    params: { steps, stepMs },
    engineParams: { steps, stepMs, fromStep },
    pausable: true,
    progress: (data, elapsedMs) => {
      const { fraction, step } = data as DiagnosticsProgress;
      return { fraction, etaSeconds: extrapolateEta((step - fromStep) / (steps - fromStep), elapsedMs) };
    },
  };
}

export const jobsService: ServiceModule = (ctx) => {
  const runner = runnerFor(ctx);
  const swept = sweepInterruptedConversions(ctx.store.jobs.list(1000))
    .then((removed) => removed.forEach((folder) => ctx.log('info', `removed the partial output of an interrupted conversion: ${folder}`)))
    .catch((error: Error) => ctx.log('warn', `could not sweep interrupted conversions' partial output: ${error.message}`));
  runner.define({
    kind: 'diagnostics',
    build: (params, { progress }) => {
      const { steps, stepMs } = api['jobs.startDiagnostics'].input.parse(params);
      return diagnosticsJobSpec(steps, stepMs, progress);
    },
  });
  return {
    handlers: {
      'jobs.list': async () => runner.list(),
      'jobs.startDiagnostics': async ({ steps, stepMs }) => runner.start(diagnosticsJobSpec(steps, stepMs)),
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
      'jobs.pause': ({ jobId }) => runner.pause(jobId),
      'jobs.resume': ({ jobId }) => runner.resume(jobId),
      'jobs.cancel': ({ jobId }) => runner.cancel(jobId),
    },
    dispose: async () => {
      await swept;
      await runner.dispose();
    },
  };
};
