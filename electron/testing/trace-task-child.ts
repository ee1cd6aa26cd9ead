/** Child process for the kill test: runs the LoRA task into the folder given as argv[2], printing each step. */
import { runLoraTask } from './trace-task';

await runLoraTask({
  checkpointDir: process.argv[2],
  onEvent: (e) => {
    if (e.type === 'step') process.stdout.write(`step ${e.step} ${e.loss}\n`);
    if (e.type === 'checkpoint') process.stdout.write(`checkpoint ${e.step}\n`);
  },
});
