/** An error the CLI reports as one line (`error: …`) with a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong arguments: like CppNix, a message and a hint, exit code 1. */
export class UsageError extends CliError {}
