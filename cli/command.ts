/** One `lading` subcommand: takes its own arguments, returns an exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  run(args: string[]): Promise<number>;
}
