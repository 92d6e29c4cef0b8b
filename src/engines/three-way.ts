/**
 * Undo actk's edit of a file the user has edited since, as text: take the
 * user's changes (what actk wrote → what is there now) and replay them on the
 * bytes from before actk (a line-based three-way merge). Callers accept the
 * result only when it parses to exactly the semantic revert, so a merge that
 * guessed wrong is never written.
 */

const maxCells = 4_000_000;

/** For each line of a, the index of the matching line of b in a longest common subsequence, or -1. */
export function matchLines(a: readonly string[], b: readonly string[]): Int32Array | undefined {
  const match = new Int32Array(a.length).fill(-1);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) { match[start] = start; start++; }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; match[endA] = endB; }
  const n = endA - start;
  const m = endB - start;
  if (n * m > maxCells) return undefined;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[start + i] === b[start + j]) { match[start + i] = start + j; i++; j++; }
    else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) i++;
    else j++;
  }
  return match;
}

/** before + (current − after), line by line; undefined when the texts are too large to align. */
export function replayUserEdits(before: string, after: string, current: string): string | undefined {
  const B = before.split("\n");
  const A = after.split("\n");
  const C = current.split("\n");
  const bToA = matchLines(B, A);
  const aToC = matchLines(A, C);
  if (!bToA || !aToC) return undefined;
  const aFromB = new Int32Array(A.length).fill(-1);
  bToA.forEach((j, i) => { if (j >= 0) aFromB[j] = i; });
  const cFromA = new Int32Array(C.length).fill(-1);
  aToC.forEach((k, j) => { if (k >= 0) cFromA[k] = j; });

  // Gap g holds what goes before line g of `after` (g = A.length: the end).
  const deletedByActk: string[][] = Array.from({ length: A.length + 1 }, () => []);
  const insertedByUser: string[][] = Array.from({ length: A.length + 1 }, () => []);
  const nextMatched = (map: Int32Array, from: number): number => {
    for (let x = from; x < map.length; x++) if ((map[x] as number) >= 0) return map[x] as number;
    return A.length;
  };
  B.forEach((line, i) => { if (bToA[i] === -1) deletedByActk[nextMatched(bToA, i + 1)]!.push(line); });
  C.forEach((line, k) => { if (cFromA[k] === -1) insertedByUser[nextMatched(cFromA, k + 1)]!.push(line); });

  const out: string[] = [];
  for (let g = 0; g <= A.length; g++) {
    out.push(...deletedByActk[g]!, ...insertedByUser[g]!);
    if (g < A.length && aFromB[g] !== -1 && aToC[g] !== -1) out.push(A[g] as string);
  }
  return out.join("\n");
}
