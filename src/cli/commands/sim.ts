import type { Command } from "../command.js";
import { ActkError, ExitCode } from "../../core/errors.js";
import { createSimHost, parseVendorOptions } from "../../sim/create.js";
import { simProfiles } from "../../sim/profiles.js";
import { formatTable } from "../output.js";

const profilesCommand: Command = {
  name: "profiles",
  summary: "List the simulated host profiles",
  examples: ["actk sim profiles", "actk sim profiles --json"],
  run({ out }) {
    const rows = simProfiles.map((p) => ({ name: p.name, summary: p.summary, vendors: p.vendors.map((v) => v.id) }));
    out.data({ profiles: rows }, () =>
      formatTable(["PROFILE", "VENDORS", "DESCRIPTION"], rows.map((r) => [r.name, r.vendors.join(",") || "-", r.summary])));
    return ExitCode.ok;
  },
};

const createCommand: Command = {
  name: "create",
  summary: "Create a simulated host tree (devices, procfs, sysfs, driver libraries, ld.so.cache)",
  description: `
Writes a directory that looks like a host's / for the chosen profile, for use with
--host-root (or ACTK_HOST_ROOT) and in tests. As root, device nodes are real character
devices (made with the host's mknod) and driver libraries are real ELF shared objects
indexed in the tree's /etc/ld.so.cache, so runc, podman and ldconfig can use the tree.
Without root, device nodes are placeholder files.

DIR must be new or empty; --force replaces a tree made earlier by \`actk sim create\`
(and nothing else).`,
  options: {
    profile: { type: "string", valueName: "NAME", description: "profile to create (see `actk sim profiles`)" },
    force: { type: "boolean", description: "replace DIR if it holds an earlier simulated host" },
    option: {
      type: "string", multiple: true, valueName: "VENDOR.KEY=VALUE",
      description: "override a vendor option of the profile; VALUE may be JSON (nvidia: count, model, driverVersion, mig, imexChannels, " +
        "extras, compat32, tegra; ascend: count, chip, vnpus, driverVersion; amd: count)",
    },
  },
  positionals: [{ name: "DIR", description: "directory to create the host in", required: true }],
  examples: [
    "actk sim create --profile dgx-h100 /tmp/h",
    "actk sim create --profile dgx-h100 --option nvidia.count=2 --option nvidia.driverVersion=535.161.07 --option 'nvidia.mig={}' /tmp/h2",
    "actk --host-root /tmp/h info",
  ],
  run({ values, positionals, out }) {
    const profile = values.profile as string | undefined;
    const dir = positionals[0];
    if (!profile) throw new ActkError("missing --profile", { place: "--profile", exitCode: ExitCode.usage, fix: "see `actk sim profiles`" });
    if (!dir || positionals.length > 1) {
      throw new ActkError(dir ? "expected one DIR" : "missing DIR", { exitCode: ExitCode.usage, fix: "run `actk sim create --profile NAME DIR`" });
    }
    const vendorOptions = parseVendorOptions((values.option as string[] | undefined) ?? []);
    const r = createSimHost({ profile, dir, force: values.force === true, vendorOptions });
    out.data(r, () =>
      `Created simulated host "${r.profile}" in ${r.root}\n` +
      `  vendors: ${r.vendors.join(", ") || "none"}\n` +
      `  device nodes: ${r.deviceNodes.length} (${r.realDeviceNodes ? "real character devices" : "placeholder files: not running as root"})\n` +
      `  driver libraries: ${r.libraries.length} (indexed in ${r.root}/etc/ld.so.cache)\n` +
      `Use it with: actk --host-root ${r.root} info`);
    return ExitCode.ok;
  },
};

export const simCommand: Command = {
  name: "sim",
  summary: "Simulated hosts for testing without GPUs/NPUs",
  subcommands: [createCommand, profilesCommand],
  examples: ["actk sim profiles", "actk sim create --profile dgx-h100 /tmp/h", "actk --host-root /tmp/h info"],
};
