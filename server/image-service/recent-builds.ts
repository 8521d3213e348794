import type { BuildTimings } from "./build-image.js";

/** One image build as the web page and `/_lading/builds` show it. */
export interface BuildEntry {
  image: string;
  tag: string;
  revision: string | undefined;
  startedAt: string;
  status: "building" | "done" | "failed";
  durationMs?: number;
  digest?: string;
  error?: string;
  timings?: BuildTimings;
  layersWritten?: number;
  layersReused?: number;
}

/** The last few builds, newest first, and counters since start. */
export class RecentBuilds {
  private readonly entries: BuildEntry[] = [];
  /** Builds started in this process (each cold request key counts once however many clients asked). */
  started = 0;
  failed = 0;

  constructor(private readonly limit = 30) {}

  begin(image: string, tag: string, revision: string | undefined): BuildEntry {
    const entry: BuildEntry = { image, tag, revision, startedAt: new Date().toISOString(), status: "building" };
    this.started++;
    this.entries.unshift(entry);
    if (this.entries.length > this.limit) this.entries.pop();
    return entry;
  }

  fail(entry: BuildEntry, error: string, startedMs: number): void {
    this.failed++;
    Object.assign(entry, { status: "failed", error, durationMs: Math.round(performance.now() - startedMs) });
  }

  list(): readonly BuildEntry[] {
    return this.entries;
  }
}
