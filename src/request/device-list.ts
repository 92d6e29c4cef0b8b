/** Small pieces every vendor's device-list parser uses. */

/** Split a comma list, trim each item and drop empty ones ("0, 1,," → ["0","1"]), like NVIDIA's devicesFromEnvvars. */
export function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** The items in first-seen order without repeats, and the repeated ones. */
export function dedupe(items: readonly string[]): { unique: string[]; repeated: string[] } {
  const seen = new Set<string>();
  const unique: string[] = [];
  const repeated: string[] = [];
  for (const i of items) {
    if (seen.has(i)) {
      if (!repeated.includes(i)) repeated.push(i);
    } else {
      seen.add(i);
      unique.push(i);
    }
  }
  return { unique, repeated };
}

/** A decimal index ("0", "12"; leading zeros allowed, as Go's Atoi does); undefined for anything else. */
export function parseIndex(text: string): number | undefined {
  if (!/^\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * "a-b" with a ≤ b, both indices, b ≤ max → [a … b]; otherwise a sentence saying what is wrong.
 * `max` also bounds the work a hostile value can cause.
 */
export function expandRange(text: string, max: number): number[] | { error: string } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) return { error: `"${text}" is not a range (write FIRST-LAST, e.g. 0-3)` };
  const a = parseIndex(m[1] as string);
  const b = parseIndex(m[2] as string);
  if (a === undefined || b === undefined || b > max) return { error: `range "${text}" goes past the largest device index ${max}` };
  if (a > b) return { error: `range "${text}" starts after it ends (write the smaller index first)` };
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
