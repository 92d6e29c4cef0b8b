/**
 * systemd units that keep CDI specs fresh: a oneshot service that runs
 * `actk cdi refresh` at boot (after the driver modules load) and a path unit
 * that re-runs it when the driver's files change (upgrade, module reload
 * creating /dev/nvidia-uvm, MIG reconfiguration recreating nvidia-caps).
 * /proc and /sys cannot be watched by path units; `actk cdi refresh --watch`
 * (off by default) covers what they miss. And the runtime helper
 * (`actk runtime helper`), which spares actk-runtime a JS start per device container.
 */
export interface UnitFile {
  name: string;
  content: string;
}

/**
 * `helperBun`: the bun installed beside actk, and actk's bundle (not its sh wrapper) for bun to run: the
 * helper then answers each request in about two thirds of Node's time (docs/runtime.md "Speed").
 */
export function systemdUnits(binDir: string, helperBun?: { bun: string; actkBundle: string }): UnitFile[] {
  const actk = `${binDir}/actk`;
  // Bun reads bunfig.toml and .env from its working directory: neither may steer a root daemon.
  const helperExec = helperBun ? `${helperBun.bun} --config=/dev/null --no-env-file ${helperBun.actkBundle} runtime helper` : `${actk} runtime helper`;
  return [
    {
      name: "actk-cdi-refresh.service",
      content: `# Installed by actk install; removed by actk uninstall.
[Unit]
Description=Regenerate actk CDI specs from the host's accelerators
After=systemd-modules-load.service systemd-udev-settle.service nvidia-persistenced.service
ConditionPathExists=${actk}

[Service]
Type=oneshot
ExecStart=${actk} cdi refresh

[Install]
WantedBy=multi-user.target
`,
    },
    {
      name: "actk-cdi-refresh.path",
      content: `# Installed by actk install; removed by actk uninstall.
[Unit]
Description=Regenerate actk CDI specs when driver files or device nodes change

[Path]
PathChanged=/dev/nvidiactl
PathChanged=/dev/nvidia-uvm
PathChanged=/dev/nvidia-caps
PathChanged=/dev/davinci_manager
PathChanged=/dev/kfd
PathChanged=/lib/modules
PathChanged=/etc/ld.so.cache
Unit=actk-cdi-refresh.service

[Install]
WantedBy=multi-user.target
`,
    },
    {
      name: "actk-runtime-helper.service",
      content: `# Installed by actk install; removed by actk uninstall.
# actk-runtime works without it; with it, a container that asks for a device starts without a JS start.
[Unit]
Description=actk runtime helper: edits device containers' bundles for actk-runtime
ConditionPathExists=${actk}

[Service]
Type=simple
ExecStart=${helperExec}
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`,
    },
    {
      name: "actk-cdi-watch.service",
      content: `# Installed by actk install; not enabled by default (actk-cdi-refresh.path covers most changes).
[Unit]
Description=Watch accelerators and keep actk CDI specs fresh
After=systemd-modules-load.service

[Service]
Type=simple
ExecStart=${actk} cdi refresh --watch
Restart=on-failure

[Install]
WantedBy=multi-user.target
`,
    },
  ];
}
