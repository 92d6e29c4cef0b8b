/**
 * Tegra (Jetson) CSV mount lists: the L4T BSP describes what a container
 * needs in /etc/nvidia-container-runtime/host-files-for-container.d/*.csv,
 * one `<type>, <path>` per line:
 *   dev → a device node (numbers read from the host),
 *   lib, dir → a read-only bind mount at the same path,
 *   sym → a symlink on the host; its resolved target is mounted at the link path.
 * `#` comments and blank lines are skipped. Paths must be absolute, without
 * `..`, and must not resolve outside the host root (same rules as Ascend's
 * mount lists); a glob is allowed in the last component. Errors name the
 * file and line. Format and sources: docs/hardware-facts.md.
 */
import path from "node:path";
import { ActkError, ExitCode } from "../../core/errors.js";
import type { ContainerEdits, DeviceNode, Mount } from "../../edits/container-edits.js";
import { inspectDeviceNode } from "../../host/device-node.js";
import type { HostRoot } from "../../host/host-root.js";
// The path-safety rules are shared with Ascend's lists; see that module.
import { checkListEntry, entrySyntaxProblem, globToRegExp, isGlob } from "../../host/list-entry.js";

export const csvMountSpecDir = "/etc/nvidia-container-runtime/host-files-for-container.d";
/** The files NVIDIA's runtime uses unless NVIDIA_REQUIRE_JETPACK=csv-mounts=all. */
export const defaultCsvFiles = ["devices.csv", "drivers.csv", "l4t.csv"];
export const csvMountOptions = ["ro", "nosuid", "nodev", "rbind", "rprivate"];

export type CsvEntryType = "dev" | "lib" | "sym" | "dir";

export interface CsvEntry {
  type: CsvEntryType;
  path: string;
  line: number;
}

/** Pure: the entries of one CSV file; throws ActkError (file + line) on the first bad line. */
export function parseCsvMountList(text: string, file: string): CsvEntry[] {
  const out: CsvEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const value = (lines[i] as string).trim();
    if (value === "" || value.startsWith("#")) continue;
    const line = i + 1;
    const comma = value.indexOf(",");
    if (comma < 0) {
      throw new ActkError(`"${value}" is not "<type>, <path>"`, {
        file, line, exitCode: ExitCode.badInput, fix: "write lines like `lib, /usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1.1`",
      });
    }
    const type = value.slice(0, comma).trim().toLowerCase();
    const p = value.slice(comma + 1).trim();
    if (type !== "dev" && type !== "lib" && type !== "sym" && type !== "dir") {
      throw new ActkError(`unknown entry type "${value.slice(0, comma).trim()}"`, {
        file, line, exitCode: ExitCode.badInput, fix: "use dev, lib, sym or dir",
      });
    }
    if (p.includes(",")) {
      throw new ActkError(`"${value}" has more than one comma`, { file, line, exitCode: ExitCode.badInput, fix: "one path per line" });
    }
    const bad = entrySyntaxProblem(p);
    if (bad) throw new ActkError(bad.problem, { file, line, exitCode: ExitCode.badInput, fix: bad.fix });
    if (isGlob(path.posix.dirname(p))) {
      throw new ActkError(`"${p}" has a glob pattern in a directory component`, {
        file, line, exitCode: ExitCode.badInput, fix: "only the last component may be a pattern",
      });
    }
    out.push({ type, path: p, line });
  }
  return out;
}

/** Concrete paths for an entry: itself, or the matches of its last-component glob. */
function expand(host: HostRoot, entry: CsvEntry, fail: (problem: string, fix: string) => never): string[] {
  if (!isGlob(entry.path)) return [entry.path];
  const dir = path.posix.dirname(entry.path);
  const c = checkListEntry(host, dir);
  if (!c.ok) fail(c.problem, c.fix);
  if (!c.ok || !c.exists) return [];
  const re = globToRegExp(path.posix.basename(entry.path));
  return host.readdir(c.resolved).filter((d) => re.test(d.name)).map((d) => path.posix.join(dir, d.name));
}

/**
 * ContainerEdits for the given CSV files (paths as the host sees them, in
 * order). Entries missing on the host are skipped; each skip is added to
 * `notes` when given. Duplicate container paths are kept once.
 */
export function csvEdits(host: HostRoot, files: readonly string[], notes?: string[]): ContainerEdits {
  const deviceNodes: DeviceNode[] = [];
  const mounts: Mount[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const text = host.readTextIfExists(file);
    if (text === undefined) {
      throw new ActkError("CSV mount list not found", {
        file: host.hostPath(file), exitCode: ExitCode.host,
        fix: `install the L4T BSP's CSV files in ${csvMountSpecDir} or name existing files`,
      });
    }
    const shown = host.hostPath(file);
    for (const entry of parseCsvMountList(text, shown)) {
      const fail = (problem: string, fix: string): never => {
        throw new ActkError(problem, { file: shown, line: entry.line, exitCode: ExitCode.badInput, fix });
      };
      for (const p of expand(host, entry, fail)) {
        const c = checkListEntry(host, p);
        if (!c.ok) fail(c.problem, c.fix);
        if (!c.ok || seen.has(p)) continue;
        if (!c.exists) {
          notes?.push(`${p} (${shown}, line ${entry.line}) does not exist on the host; skipped.`);
          continue;
        }
        seen.add(p);
        if (entry.type === "dev") {
          const st = inspectDeviceNode(host, c.resolved);
          if (st.state === "char" || st.state === "placeholder") {
            const node: DeviceNode = { path: p, type: "c", major: st.major, minor: st.minor, fileMode: st.mode, permissions: "rwm" };
            const hp = host.hostPath(c.resolved);
            if (hp !== p) node.hostPath = hp;
            deviceNodes.push(node);
          } else {
            notes?.push(`${p} (${shown}, line ${entry.line}) is not a character device; skipped.`);
          }
          continue;
        }
        // lib, dir and sym all mount what the path resolves to, at the path itself.
        mounts.push({ hostPath: host.hostPath(c.resolved), containerPath: p, type: "bind", options: [...csvMountOptions] });
      }
    }
  }
  const edits: ContainerEdits = {};
  if (deviceNodes.length) edits.deviceNodes = deviceNodes;
  if (mounts.length) edits.mounts = mounts;
  return edits;
}

/** The CSV files to use: every *.csv in the directory when `all`, else NVIDIA's default three that exist. */
export function csvFiles(host: HostRoot, all: boolean, dir = csvMountSpecDir): string[] {
  const present = host.readdir(dir).filter((e) => !e.isDirectory && e.name.endsWith(".csv")).map((e) => e.name);
  const names = all ? present : defaultCsvFiles.filter((n) => present.includes(n));
  return names.map((n) => `${dir}/${n}`);
}
