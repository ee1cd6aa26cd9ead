/** The CLI's entry point when built (out/cli/distillery.mjs, see scripts/build-cli.mjs). */
import { runCli } from './index';

process.exitCode = await runCli(process.argv);
