/**
 * What an engine plugin ("actk.engine.v1") does: given the options of
 * `actk runtime configure` and the current bytes of the files it needs, say
 * which files change and how (pure), and optionally check the result with the
 * real engine. Reading and writing files, backups and the journal are done
 * once for every engine in transaction.ts.
 */
import type { ValueChange } from "./value-change.js";

export type EngineId = "docker" | "containerd" | "crio" | "podman";
export const engineIds: readonly EngineId[] = ["docker", "containerd", "crio", "podman"];

export type ConfigMode = "config-file" | "oci-hook";

export interface ConfigureOptions {
  runtimeName: string;
  /** Absolute path of actk-runtime as the engine will run it. */
  runtimePath: string;
  /** Extra arguments for the runtime (docker `runtimeArgs`); only written when given. */
  runtimeArgs: string[];
  setAsDefault: boolean;
  cdiEnabled: boolean;
  /** CDI spec directories to write into the engine config; empty = leave the engine's default. */
  cdiSpecDirs: string[];
  /** The engine's top-level config file (host path as the host sees it). */
  configPath: string;
  /** Drop-in file where the engine supports them; "" = edit the main file in place. */
  dropInPath: string;
  configMode: ConfigMode;
  ociHookPath: string;
  /** Annotation-key regexes that select containers for the hook; empty = `when.always`. */
  ociHookAnnotations?: string[];
  /** Absolute path of actk-hook (oci-hook mode). */
  hookPath: string;
  /** Major version of the installed engine, when known (containerd: decides drop-in vs in-place). */
  engineMajor?: number;
}

/** How a file's content is edited and reverted. "owned": actk wrote the whole file. */
export type FileFormat = "json" | "toml" | "owned";

/** One file a plan touches. `after === undefined` means the file is deleted. */
export interface FileChange {
  path: string;
  format: FileFormat;
  before: string | undefined;
  after: string | undefined;
  /** Exactly which values actk set, so unconfigure can take out only those. */
  changes: ValueChange[];
  /** TOML tables actk appended as text (removed verbatim by unconfigure when still intact). */
  appended?: string;
  /** A drop-in: the file whose `imports` makes the engine read it (and whose shared changes it relies on). */
  importedBy?: string;
}

export interface EnginePlan {
  files: FileChange[];
  /** Notes for the user (e.g. why the main file is edited in place). */
  notes: string[];
  /** Whether the engine must be restarted for the change to take effect. */
  restartNeeded: boolean;
}

export interface VerifyResult {
  ok: boolean;
  /** What was run and what it showed, or why verification was skipped. */
  detail: string;
  skipped?: boolean;
}

export interface VerifyContext {
  /** Host path (under --host-root) of a file path as the engine sees it. */
  hostPath(p: string): string;
  /** True when running as root on the real host. */
  isRoot: boolean;
}

export interface Engine {
  id: EngineId;
  /** Default top-level config file. */
  defaultConfigPath: string;
  /** Default drop-in ("" when the engine has none actk uses). */
  defaultDropInPath: string;
  /** Command that restarts the engine, shown to the user. "" for daemonless engines. */
  restartCommand: string;
  /** Installed engine's major version, or undefined (only used by engines that need it). */
  detectMajor?(): number | undefined;
  /** Files plan() reads (host paths as the host sees them). */
  inputs(opts: ConfigureOptions): string[];
  /** Pure: current contents (undefined = missing) → the changes. Throws ActkError on bad input. */
  plan(opts: ConfigureOptions, current: ReadonlyMap<string, string | undefined>): EnginePlan;
  /** Check the written files with the real engine, when it is installed. */
  verify?(opts: ConfigureOptions, plan: EnginePlan, ctx: VerifyContext): VerifyResult;
}
