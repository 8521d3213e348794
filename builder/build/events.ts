/**
 * Progress of local builds, for the CLI's display and the server's logs. Every event
 * names the derivation it is about; a build emits `build-started`, any number of
 * `build-log-line`, then exactly one of `build-finished` or `build-failed`.
 */
export type BuildEvent =
  | { type: "build-started"; drvPath: string; name: string; sandboxed: boolean; logPath: string }
  | { type: "build-log-line"; drvPath: string; line: string }
  | { type: "build-finished"; drvPath: string; outputs: Record<string, string>; durationMs: number }
  | { type: "build-failed"; drvPath: string; error: Error; logPath: string; durationMs: number };

export type BuildEventListener = (event: BuildEvent) => void;
