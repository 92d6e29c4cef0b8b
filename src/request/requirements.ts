/**
 * The requirement-constraint grammar of NVIDIA_REQUIRE_* (NVIDIA Container
 * Toolkit internal/requirements/constraints, evaluated by libnvidia-container's
 * dsl.c): one variable is one expression; space-separated terms are ORed and
 * comma-separated factors inside a term are ANDed; several expressions are
 * ANDed. A factor is PROPERTY OP VALUE. Pure: parsing and evaluation only, the
 * host facts come from the caller.
 */
import { ActkError, ExitCode } from "../core/errors.js";

export type ConstraintOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Properties compared as dotted versions; the others ("brand") as case-insensitive strings. */
export const versionProperties = ["cuda", "driver", "arch"] as const;
export const knownProperties = ["cuda", "driver", "arch", "brand"] as const;
export type RequirementProperty = (typeof knownProperties)[number];

export interface ConstraintFactor {
  property: RequirementProperty;
  operator: ConstraintOperator;
  value: string;
  /** The factor as written ("cuda>=12.0"). */
  text: string;
}

export interface RequirementExpression {
  /** The expression as written. */
  text: string;
  /** OR of ANDs: the expression holds when every factor of at least one alternative holds. */
  alternatives: ConstraintFactor[][];
  /** Factors with a property actk (like NVIDIA) does not know; they are skipped. */
  ignored: string[];
}

/** Longest operators first, so "<=" is not read as "<" followed by "=5". */
const operators: readonly ConstraintOperator[] = ["!=", "<=", ">=", "=", "<", ">"];
const versionPattern = /^\d+(?:\.\d+)*$/;

function isVersionProperty(p: string): boolean {
  return (versionProperties as readonly string[]).includes(p);
}

/**
 * Parse one expression. Throws ActkError (badInput) naming the bad factor; `place`
 * says where it came from ("NVIDIA_REQUIRE_CUDA").
 */
export function parseRequirement(text: string, place?: string): RequirementExpression {
  const bad = (message: string): ActkError =>
    new ActkError(message, {
      place,
      exitCode: ExitCode.badInput,
      fix: "write constraints as PROPERTY OP VALUE (cuda>=12.0, driver>=535, arch=9.0, brand=tesla); separate alternatives with spaces and combined conditions with commas",
    });
  const alternatives: ConstraintFactor[][] = [];
  const ignored: string[] = [];
  for (const term of text.split(" ")) {
    if (term === "") continue;
    const factors: ConstraintFactor[] = [];
    for (const raw of term.split(",")) {
      if (raw.trim() === "") continue;
      const end = raw.search(/[<>=!]/);
      if (end < 0) throw bad(`invalid constraint "${raw}": it has no operator (one of ${operators.join(" ")})`);
      const name = raw.slice(0, end);
      if (name === "") throw bad(`invalid constraint "${raw}": it names no property before the operator`);
      const rest = raw.slice(end);
      const operator = operators.find((o) => rest.startsWith(o));
      if (operator === undefined) throw bad(`invalid constraint "${raw}": "${rest.slice(0, 2)}" is not an operator (one of ${operators.join(" ")})`);
      const value = rest.slice(operator.length);
      const property = name.toLowerCase();
      if (!(knownProperties as readonly string[]).includes(property)) {
        ignored.push(raw);
        continue;
      }
      if (value === "") throw bad(`invalid constraint "${raw}": no value after "${operator}"`);
      if (/[<>=!]/.test(value)) throw bad(`invalid constraint "${raw}": "${rest.slice(0, rest.length - value.length + 1 + value.search(/[<>=!]/))}" is not an operator`);
      if (isVersionProperty(property)) {
        if (!versionPattern.test(value)) throw bad(`invalid constraint "${raw}": "${value}" is not a version (digits separated by dots, e.g. 12.0)`);
      } else if (operator !== "=" && operator !== "!=") {
        throw bad(`invalid constraint "${raw}": ${property} can only be compared with = or !=`);
      }
      factors.push({ property: property as RequirementProperty, operator, value, text: raw });
    }
    // A term whose factors were all skipped constrains nothing and is dropped (as NVIDIA does).
    if (factors.length) alternatives.push(factors);
  }
  return { text, alternatives, ignored };
}

/**
 * Compare dotted versions numerically; missing or trailing components count as 0
 * ("12" = "12.0"), like libnvidia-container. Returns -1, 0 or 1.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = (pa[i] ?? "0").replace(/^0+(?=\d)/, "");
    const y = (pb[i] ?? "0").replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** What the host offers for each property; undefined = unknown. */
export type RequirementFacts = Partial<Record<RequirementProperty, string>>;

export interface FactorResult {
  factor: ConstraintFactor;
  /** The host's value, or undefined when unknown. */
  hostValue?: string;
  /** True when met, or when the host value is unknown (assumed met, like libnvidia-container). */
  met: boolean;
}

export interface ExpressionResult {
  expression: RequirementExpression;
  met: boolean;
  /** For each alternative that failed: its first failing factor. */
  failures: FactorResult[];
}

export function evaluateFactor(factor: ConstraintFactor, facts: RequirementFacts): FactorResult {
  const hostValue = facts[factor.property];
  if (hostValue === undefined || hostValue === "") return { factor, met: true };
  let cmp: number;
  if (isVersionProperty(factor.property)) {
    // A host value that is not a plain version cannot be compared; treat it as unknown.
    if (!versionPattern.test(hostValue)) return { factor, hostValue, met: true };
    cmp = compareVersions(hostValue, factor.value);
  } else {
    cmp = hostValue.toLowerCase() === factor.value.toLowerCase() ? 0 : 1;
  }
  const met = ((): boolean => {
    switch (factor.operator) {
      case "=": return cmp === 0;
      case "!=": return cmp !== 0;
      case "<": return cmp < 0;
      case "<=": return cmp <= 0;
      case ">": return cmp > 0;
      case ">=": return cmp >= 0;
    }
  })();
  return { factor, hostValue, met };
}

export function evaluateRequirement(expression: RequirementExpression, facts: RequirementFacts): ExpressionResult {
  if (expression.alternatives.length === 0) return { expression, met: true, failures: [] };
  const failures: FactorResult[] = [];
  for (const alternative of expression.alternatives) {
    const failed = alternative.map((f) => evaluateFactor(f, facts)).find((r) => !r.met);
    if (!failed) return { expression, met: true, failures: [] };
    failures.push(failed);
  }
  return { expression, met: false, failures };
}

/** "cuda>=12.0 (host cuda=11.8)" */
export function describeFailure(r: FactorResult): string {
  return `${r.factor.text} (host ${r.factor.property}=${r.hostValue ?? "unknown"})`;
}
