/**
 * What `lading build` shows while it realises: on a terminal one live status line
 * (counts of fetched and built paths, bytes, what is downloading or building now)
 * with messages and build logs scrolling above it; otherwise plain lines as
 * nix-build prints them (`copying path …`, `building …`, the builders' logs).
 */
import type { BuildEvent, SubstitutionEvent } from "../../builder/index.js";

const REDRAW_MS = 100;

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** `/nix/store/<hash>-name` → `name` (what the status line has room for). */
function shortName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.length > 33 && base[32] === "-" ? base.slice(33) : base;
}

export class BuildProgress {
  private readonly tty: boolean;
  private readonly downloading = new Map<string, { name: string; downloaded: number; size: number }>();
  private readonly building = new Map<string, string>();
  private fetchPlanned = 0;
  private fetched = 0;
  private downloadedBytes = 0;
  private expectedBytes = 0;
  private builtCount = 0;
  private lastLine = "";
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly storeDir: string,
    tty = out.isTTY === true,
  ) {
    this.tty = tty;
  }

  onSubstitution(event: SubstitutionEvent): void {
    switch (event.type) {
      case "planned":
        this.fetchPlanned += event.paths;
        this.expectedBytes += event.downloadBytes;
        break;
      case "path-start": {
        const path = event.path.render(this.storeDir);
        this.downloading.set(path, { name: shortName(path), downloaded: 0, size: event.downloadSize ?? event.narSize });
        this.message(`copying path '${path}' from '${event.url}'...`);
        break;
      }
      case "path-progress": {
        const d = this.downloading.get(event.path.render(this.storeDir));
        if (d) {
          this.downloadedBytes += event.downloaded - d.downloaded;
          d.downloaded = event.downloaded;
        }
        break;
      }
      case "path-done":
        this.downloading.delete(event.path.render(this.storeDir));
        this.fetched++;
        break;
      case "path-failed":
        this.downloading.delete(event.path.render(this.storeDir));
        this.message(`error: fetching '${event.path.render(this.storeDir)}': ${firstLine(event.error.message)}`);
        break;
      case "cache-error":
        this.message(`warning: binary cache '${event.url}': ${firstLine(event.error.message)}`);
        break;
      case "retry":
        this.message(`warning: ${firstLine(event.error.message)}; retrying (attempt ${event.attempt})`);
        break;
      case "refused":
        this.message(`warning: not using '${event.path.render(this.storeDir)}' from '${event.url}': ${event.reason}`);
        break;
    }
    this.schedule();
  }

  onBuild(event: BuildEvent): void {
    switch (event.type) {
      case "build-started":
        this.building.set(event.drvPath, event.name);
        this.message(`building '${event.drvPath}'${event.sandboxed ? "" : " (unsandboxed)"}...`);
        break;
      case "build-log-line":
        this.message(event.line);
        break;
      case "build-finished":
        this.building.delete(event.drvPath);
        this.builtCount++;
        break;
      case "build-failed":
        this.building.delete(event.drvPath);
        // Not an `error:` line: the command's own error line (exactly one) says why it stopped.
        this.message(`builder for '${event.drvPath}' failed; its log is ${event.logPath}`);
        break;
    }
    this.schedule();
  }

  /** A line of its own above the status line (warnings). */
  note(line: string): void {
    this.message(line);
  }

  /** Removes the status line (before the final output is printed). */
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** The status line's text (without escapes). */
  statusLine(): string {
    const parts: string[] = [];
    if (this.fetchPlanned > 0) {
      const bytes = this.expectedBytes > 0 ? `, ${mib(this.downloadedBytes)}/${mib(this.expectedBytes)} MiB` : "";
      parts.push(`[${this.fetched}/${this.fetchPlanned} fetched${bytes}]`);
    }
    if (this.builtCount > 0 || this.building.size > 0) parts.push(`[${this.builtCount} built, ${this.building.size} building]`);
    const now: string[] = [];
    for (const d of this.downloading.values()) now.push(`downloading ${d.name} (${mib(d.downloaded)}/${mib(d.size)} MiB)`);
    for (const name of this.building.values()) now.push(`building ${name}`);
    if (now.length > 0) parts.push(now.join(", "));
    return parts.join(" ");
  }

  private message(line: string): void {
    this.clear();
    this.out.write(line + "\n");
    this.schedule();
  }

  private schedule(): void {
    if (!this.tty || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private draw(): void {
    const width = Math.max(20, (this.out.columns || 80) - 1); // a pty may report 0 columns
    let line = this.statusLine();
    if (line.length > width) line = line.slice(0, width - 1) + "…";
    if (line === this.lastLine && this.shown) return;
    this.out.write(`\r\x1b[K${line}`);
    this.lastLine = line;
    this.shown = line !== "";
  }

  private clear(): void {
    if (!this.tty || !this.shown) return;
    this.out.write("\r\x1b[K");
    this.shown = false;
    this.lastLine = "";
  }
}

function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}
