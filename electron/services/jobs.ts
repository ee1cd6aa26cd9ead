/**
 * jobs.* methods: each start method describes its job (where it runs, its params, its progress, what to do on
 * success) and hands it to the one job runner (./jobs-runner), which keeps the job row, progress events, pause,
 * resume, cancel and crashes.
 */
import { api } from '../contract/api';
import type { DiagnosticsProgress } from '../engine/handlers/diagnostics';
import type { ServiceModule } from './context';
import { convertJobSpec } from './jobs-convert';
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
      'jobs.startConvert': async (input) =>
        runner.start(convertJobSpec(input, { modelsDir: ctx.paths.models, registry: registryFor(ctx) })),
      'jobs.pause': ({ jobId }) => runner.pause(jobId),
      'jobs.resume': ({ jobId }) => runner.resume(jobId),
      'jobs.cancel': ({ jobId }) => runner.cancel(jobId),
    },
    dispose: runner.dispose,
  };
};
