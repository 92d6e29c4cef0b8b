/** Where commands print. Data goes to stdout (as JSON with --json); messages to stderr. */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Human text to stdout (suppressed by --quiet). */
  print(text: string): void;
  /** A data value: JSON on stdout with --json, else `human` text. */
  data(value: unknown, human: () => string): void;
  /** Message to stderr (suppressed by --quiet). */
  info(text: string): void;
  warn(text: string): void;
}

export function createOutput(opts: { json: boolean; quiet: boolean }, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json: opts.json,
    quiet: opts.quiet,
    print(text) {
      if (!opts.quiet) stdout.write(text.endsWith("\n") ? text : text + "\n");
    },
    data(value, human) {
      if (opts.json) stdout.write(JSON.stringify(value, null, 2) + "\n");
      else if (!opts.quiet) {
        const t = human();
        stdout.write(t.endsWith("\n") ? t : t + "\n");
      }
    },
    info(text) {
      if (!opts.quiet) stderr.write(text + "\n");
    },
    warn(text) {
      stderr.write(`actk: warning: ${text}\n`);
    },
  };
}

/** A plain text table with a header row; columns padded to the widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
