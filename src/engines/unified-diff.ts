/**
 * A unified diff (like `diff -u`) of two texts, for `--dry-run`. Common
 * leading and trailing lines are trimmed first, so the LCS table only covers
 * the region that changed (config edits touch a few lines of long files).
 */

type Op = { kind: " " | "-" | "+"; line: string };

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const ma = a.slice(start, endA);
  const mb = b.slice(start, endB);
  const n = ma.length;
  const m = mb.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as Uint32Array;
      row[j] = ma[i] === mb[j] ? (lcs[i + 1] as Uint32Array)[j + 1]! + 1 : Math.max((lcs[i + 1] as Uint32Array)[j]!, row[j + 1]!);
    }
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: " ", line }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ma[i] === mb[j]) { ops.push({ kind: " ", line: ma[i] as string }); i++; j++; }
    else if (i < n && (j >= m || (lcs[i + 1] as Uint32Array)[j]! >= (lcs[i] as Uint32Array)[j + 1]!)) { ops.push({ kind: "-", line: ma[i] as string }); i++; }
    else { ops.push({ kind: "+", line: mb[j] as string }); j++; }
  }
  for (const line of a.slice(endA)) ops.push({ kind: " ", line });
  return ops;
}

/** `--- a/FILE` / `+++ b/FILE` and hunks; "" when the texts are equal. */
export function unifiedDiff(file: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return "";
  const ops = diffLines(splitLines(before ?? ""), splitLines(after ?? ""));
  const out = [`--- ${before === undefined ? "/dev/null" : file}`, `+++ ${after === undefined ? "/dev/null" : file}`];
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] as number;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] as number) - last <= 2 * context) last = changed[++k] as number;
    k++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length, last + context + 1);
    let aStart = 1;
    let bStart = 1;
    for (const o of ops.slice(0, from)) { if (o.kind !== "+") aStart++; if (o.kind !== "-") bStart++; }
    const hunk = ops.slice(from, to);
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`);
    for (const o of hunk) out.push(o.kind + o.line);
  }
  const noEol = (t: string | undefined): boolean => t !== undefined && t !== "" && !t.endsWith("\n");
  if (noEol(before) || noEol(after)) out.push("\\ (a file does not end with a newline)");
  return out.join("\n") + "\n";
}
