/**
 * A plugin registry modelled on containerd's: each registration has a type, an
 * id, the plugin types it requires, a default config section and an init
 * function. Registrations are initialised in dependency order; a plugin whose
 * init throws (or whose requirement failed) is recorded with its error and
 * skipped, never fatal for the others.
 *
 * init must be cheap and must not touch the host beyond what it needs to
 * decide it can run: the runtime initialises plugins on every container start.
 */
import { ActkError, ExitCode } from "./errors.js";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";

export const PluginType = {
  host: "actk.host.v1",
  vendor: "actk.vendor.v1",
  engine: "actk.engine.v1",
  doctorCheck: "actk.doctor.v1",
} as const;

export interface InitContext {
  /** This plugin's effective config section (defaults merged with the user's). */
  config: unknown;
  logger: Logger;
  /** An initialised plugin this one requires; throws if it is not available. */
  get<T>(type: string, id?: string): T;
  /** All initialised plugins of a type, in initialisation order. */
  all<T>(type: string): T[];
}

export interface PluginRegistration<T = unknown> {
  type: string;
  id: string;
  /** Plugin types that must be initialised first; "*" means every other type. */
  requires?: readonly string[];
  /** Default config section; becomes [plugins."<type>".<id>] in config.toml. */
  config?: unknown;
  init(ctx: InitContext): T;
}

export type PluginStatus = "ok" | "error" | "skipped";

export interface PluginRecord {
  type: string;
  id: string;
  requires: readonly string[];
  status: PluginStatus;
  /** Why init failed, formatted (ending in the fix when the error has one). */
  error?: string;
  /** The fix of the init error, when it has one (already at the end of `error`). */
  fix?: string;
  instance?: unknown;
}

export interface InitOptions {
  logger?: Logger;
  /** Config section per "type.id" key; missing keys get the registration's default. */
  configFor?: (reg: PluginRegistration) => unknown;
  /** Only initialise plugins for which this returns true (others are "skipped"). */
  filter?: (reg: PluginRegistration) => boolean;
}

export class Registry {
  private readonly registrations: PluginRegistration[] = [];

  register(reg: PluginRegistration): void {
    if (!reg.type || !reg.id) throw new ActkError("plugin registration needs a type and an id", { exitCode: ExitCode.internal });
    if (this.registrations.some((r) => r.type === reg.type && r.id === reg.id)) {
      throw new ActkError(`plugin ${reg.type}.${reg.id} is registered twice`, { exitCode: ExitCode.internal });
    }
    this.registrations.push(reg);
  }

  list(): readonly PluginRegistration[] {
    return this.registrations;
  }

  /** Registrations sorted so every plugin comes after the types it requires (stable otherwise). */
  ordered(): PluginRegistration[] {
    const types = new Set(this.registrations.map((r) => r.type));
    const deps = (r: PluginRegistration): Set<string> => {
      const out = new Set<string>();
      for (const t of r.requires ?? []) {
        if (t === "*") for (const o of types) { if (o !== r.type) out.add(o); }
        else if (t !== r.type) out.add(t);
      }
      return out;
    };
    const result: PluginRegistration[] = [];
    const done = new Set<PluginRegistration>();
    const visiting = new Set<PluginRegistration>();
    const visit = (r: PluginRegistration): void => {
      if (done.has(r)) return;
      if (visiting.has(r)) throw new ActkError(`plugin ${r.type}.${r.id} is part of a requirement cycle`, { exitCode: ExitCode.internal });
      visiting.add(r);
      for (const t of deps(r)) for (const o of this.registrations) if (o.type === t) visit(o);
      visiting.delete(r);
      done.add(r);
      result.push(r);
    };
    for (const r of this.registrations) visit(r);
    return result;
  }

  /** Initialise every registration in order and return the records (errors included). */
  init(opts: InitOptions = {}): InitializedPlugins {
    const logger = opts.logger ?? silentLogger;
    const records: PluginRecord[] = [];
    for (const reg of this.ordered()) {
      const rec: PluginRecord = { type: reg.type, id: reg.id, requires: reg.requires ?? [], status: "ok" };
      records.push(rec);
      if (opts.filter && !opts.filter(reg)) {
        rec.status = "skipped";
        rec.error = "not selected";
        continue;
      }
      const failedDep = records.find(
        (o) => o !== rec && o.status === "error" && (reg.requires ?? []).some((t) => t === o.type),
      );
      if (failedDep) {
        rec.status = "skipped";
        rec.error = `requires ${failedDep.type}.${failedDep.id}, which failed`;
        continue;
      }
      const ctx: InitContext = {
        config: opts.configFor ? opts.configFor(reg) : reg.config,
        logger,
        get: <T>(type: string, id?: string): T => {
          const found = records.find((o) => o.type === type && (id === undefined || o.id === id) && o.status === "ok");
          if (!found) throw new ActkError(`plugin ${type}${id ? "." + id : ""} is not available`, { exitCode: ExitCode.internal });
          return found.instance as T;
        },
        all: <T>(type: string): T[] =>
          records.filter((o) => o.type === type && o.status === "ok" && o.instance !== undefined).map((o) => o.instance as T),
      };
      try {
        rec.instance = reg.init(ctx);
      } catch (e) {
        rec.status = "error";
        rec.error = e instanceof ActkError ? e.format() : e instanceof Error ? e.message : String(e);
        if (e instanceof ActkError && e.fix) rec.fix = e.fix;
        logger.debug(`plugin ${reg.type}.${reg.id} failed to initialise`, { error: rec.error });
      }
    }
    return new InitializedPlugins(records);
  }
}

export class InitializedPlugins {
  constructor(readonly records: readonly PluginRecord[]) {}

  /** Instances of a type that initialised successfully. */
  all<T>(type: string): T[] {
    return this.records.filter((r) => r.type === type && r.status === "ok").map((r) => r.instance as T);
  }

  get<T>(type: string, id: string): T | undefined {
    const r = this.records.find((o) => o.type === type && o.id === id && o.status === "ok");
    return r?.instance as T | undefined;
  }

  record(type: string, id: string): PluginRecord | undefined {
    return this.records.find((o) => o.type === type && o.id === id);
  }
}
