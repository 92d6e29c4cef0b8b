/**
 * Per-invocation state shared by commands: the host root, the config and the
 * initialised plugins, each created on first use so `actk --help` touches nothing.
 */
import { statSync, type Stats } from "node:fs";
import { ActkError, ExitCode, type ActkErrorOptions } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { createLogger } from "../core/log.js";
import { PluginType, type InitializedPlugins, type PluginRecord } from "../core/registry.js";
import { HostRoot } from "../host/host-root.js";
import { loadConfig } from "../config/load.js";
import { pluginDefaultsOf } from "../config/schema.js";
import type { ActkConfig, LoadedConfig } from "../config/types.js";
import { createRegistry } from "../plugins.js";
import type { Vendor } from "../vendors/vendor.js";
import { engineIds, type Engine } from "../engines/engine.js";
import type { OptionValues } from "./command.js";

export class CliContext {
  private _host?: HostRoot;
  private _config?: LoadedConfig;
  private _plugins?: InitializedPlugins;
  readonly logger: Logger;

  constructor(readonly global: OptionValues, readonly env: NodeJS.ProcessEnv = process.env) {
    this.logger = createLogger({ level: global.debug ? "debug" : global.quiet ? "error" : "info" });
  }

  get host(): HostRoot {
    this._host ??= HostRoot.fromEnvironment(checkedHostRoot(this.global["host-root"] as string | undefined, this.env), this.env);
    return this._host;
  }

  get loadedConfig(): LoadedConfig {
    this._config ??= loadConfig({
      file: this.global["config-file"] as string | undefined,
      env: this.env,
      hostRoot: this.host.root,
      pluginDefaults: pluginDefaultsOf(createRegistry(this.host).list()),
    });
    return this._config;
  }

  /**
   * For commands that must work with a broken config (doctor): load it, and on
   * failure continue with `fallback` and return the error message.
   */
  loadConfigOrFallback(fallback: () => LoadedConfig): string | undefined {
    try {
      void this.loadedConfig;
      return undefined;
    } catch (e) {
      this._config = fallback();
      return e instanceof ActkError ? e.format() : String(e);
    }
  }

  get plugins(): InitializedPlugins {
    this._plugins ??= initPlugins(this.host, this.loadedConfig.config, this.logger);
    return this._plugins;
  }

  /** The engine plugin named by --runtime; a usage error for an unknown name, a host error for one that did not initialise. */
  engine(id: string, opts: { unchanged?: boolean } = {}): Engine {
    const unchanged = opts.unchanged ? { unchanged: true } : {};
    if (!(engineIds as readonly string[]).includes(id)) {
      throw new ActkError(`unknown runtime "${id}"`, { place: "--runtime", exitCode: ExitCode.usage, ...unchanged, fix: `use one of ${engineIds.join(", ")}` });
    }
    const engine = this.plugins.get<Engine>(PluginType.engine, id);
    if (engine) return engine;
    const rec = this.plugins.record(PluginType.engine, id);
    if (rec) throw unavailablePluginError(`the ${id} engine plugin`, rec, { place: "--runtime", ...unchanged });
    throw new ActkError(`the ${id} engine plugin is not registered`, { place: "--runtime", exitCode: ExitCode.host, ...unchanged, fix: "see `actk plugins`" });
  }

  /** Vendors that initialised, optionally limited to ids ("all" or a list, checked by vendorIds). */
  vendors(select?: string | string[]): Vendor[] {
    const all = this.plugins.all<Vendor>(PluginType.vendor);
    const ids = typeof select === "string" ? this.vendorIds(select) : select;
    return ids ? all.filter((v) => ids.includes(v.id)) : all;
  }

  /**
   * The ids a --vendor value names, undefined for all (flag absent or "all"). An empty value or item,
   * or a vendor no plugin registers, is a usage error; a vendor whose plugin failed is a host error:
   * a typo must not read as "no devices".
   */
  vendorIds(select: string | undefined, place = "--vendor"): string[] | undefined {
    if (select === undefined || select === "all") return undefined;
    const known = this.plugins.records.filter((r) => r.type === PluginType.vendor);
    const fix = `use one of ${known.map((r) => r.id).join(", ")} or all (a comma list)`;
    const ids = select.split(",").map((x) => x.trim());
    if (ids.some((id) => id === "")) throw new ActkError(`${JSON.stringify(select)} names an empty vendor`, { place, exitCode: ExitCode.usage, fix });
    for (const id of ids) {
      const rec = known.find((r) => r.id === id);
      if (!rec) throw new ActkError(`unknown vendor "${id}"`, { place, exitCode: ExitCode.usage, fix });
      if (rec.status !== "ok") throw unavailablePluginError(`vendor ${id}`, rec, { place });
    }
    return [...new Set(ids)];
  }
}

/** Every plugin, initialised with its section of `config` over its defaults. */
export function initPlugins(host: HostRoot, config: ActkConfig, logger: Logger): InitializedPlugins {
  return createRegistry(host).init({
    logger,
    configFor: (reg) => {
      const section = config.plugins[`${reg.type.split(".")[1]}.${reg.id}`];
      return section && typeof reg.config === "object" ? { ...(reg.config as object), ...section } : reg.config;
    },
  });
}

/**
 * The host root a command was given, checked: a mistyped one would otherwise read as a host with
 * no accelerator (every discovery empty, doctor green), and an empty one as the real host.
 */
function checkedHostRoot(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const given = flag ?? env.ACTK_HOST_ROOT;
  if (given === undefined) return undefined;
  const place = flag !== undefined ? "--host-root" : "ACTK_HOST_ROOT";
  if (given === "") {
    throw new ActkError("the host root is empty", { place, exitCode: ExitCode.usage, fix: `give a directory, or leave ${place} out for the real host` });
  }
  let st: Stats;
  try {
    st = statSync(given);
  } catch (e) {
    throw new ActkError(`the host root ${given} does not exist`, { place, exitCode: ExitCode.host, cause: e, fix: "check the path (`actk sim create DIR` makes a simulated host)" });
  }
  if (!st.isDirectory()) {
    throw new ActkError(`the host root ${given} is not a directory`, { place, exitCode: ExitCode.host, fix: "give the directory the host tree is in" });
  }
  return given;
}

/**
 * "<what> is not available: <why>" for a plugin a command needs that did not initialise. The fix is the
 * plugin's own when its error has one (already part of <why>), else a pointer to `actk plugins`: one fix.
 */
export function unavailablePluginError(what: string, rec: PluginRecord, opts: Omit<ActkErrorOptions, "fix" | "exitCode"> = {}): ActkError {
  return new ActkError(`${what} is not available: ${rec.error ?? rec.status}`, {
    ...opts, exitCode: ExitCode.host, ...(rec.fix ? {} : { fix: "see `actk plugins`" }),
  });
}
