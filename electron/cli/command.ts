import type { Command } from 'commander';

/** A CLI command module: adds its sub-command (with options and action) to the program. */
export type CliCommand = (program: Command) => void;

/** Thrown by commands for errors the user can fix: printed without a stack trace, exit code 1. */
export class CliError extends Error {}
