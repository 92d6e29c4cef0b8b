/**
 * CDI names with the rules of the reference parser (container-device-interface
 * pkg/parser): a kind is `vendor/class`, cut at the first "/"; a qualified
 * device name is `vendor/class=name`, cut at the first "=". Vendor and class
 * start with an ASCII letter, end with a letter or digit and hold letters,
 * digits, "_", "-" and "." between; a device name starts and ends with a letter
 * or digit and may also hold ":" between. Only ASCII counts as a letter.
 *
 * Functions return an error sentence (or undefined) so callers can attach the
 * file and place; parseQualifiedDeviceName throws nothing either.
 */

export interface QualifiedDevice {
  vendor: string;
  class: string;
  name: string;
}

const isLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isAlphaNumeric = (c: string): boolean => isLetter(c) || isDigit(c);

/** `vendor/class=name`. */
export function qualifiedName(vendor: string, cls: string, name: string): string {
  return `${vendor}/${cls}=${name}`;
}

/** Vendor and class of a kind, or empty strings when it has no non-empty parts around the first "/". */
export function parseKind(kind: string): { vendor: string; class: string } {
  const i = kind.indexOf("/");
  if (i <= 0 || i === kind.length - 1) return { vendor: "", class: "" };
  return { vendor: kind.slice(0, i), class: kind.slice(i + 1) };
}

/**
 * The parts of a device reference. An unqualified reference (empty, starting
 * with "/", or without non-empty parts around "=" and "/") comes back as
 * `{vendor: "", class: "", name: text}`, as in the reference.
 */
export function splitDeviceReference(text: string): QualifiedDevice {
  const unqualified = { vendor: "", class: "", name: text };
  if (text === "" || text.startsWith("/")) return unqualified;
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) return unqualified;
  const kind = parseKind(text.slice(0, eq));
  if (kind.vendor === "") return unqualified;
  return { vendor: kind.vendor, class: kind.class, name: text.slice(eq + 1) };
}

function vendorOrClassError(name: string): string | undefined {
  if (name === "") return "empty name";
  if (!isLetter(name[0] as string)) return `"${name}" should start with a letter`;
  for (const c of name.slice(1, -1)) {
    if (!isAlphaNumeric(c) && c !== "_" && c !== "-" && c !== ".") return `invalid character "${c}" in name "${name}"`;
  }
  if (!isAlphaNumeric(name[name.length - 1] as string)) return `"${name}" should end with a letter or digit`;
  return undefined;
}

export function vendorNameError(vendor: string): string | undefined {
  const e = vendorOrClassError(vendor);
  return e && `invalid vendor: ${e}`;
}

export function classNameError(cls: string): string | undefined {
  const e = vendorOrClassError(cls);
  return e && `invalid class: ${e}`;
}

export function deviceNameError(name: string): string | undefined {
  if (name === "") return "empty device name";
  if (!isAlphaNumeric(name[0] as string)) return `invalid device name "${name}": should start with a letter or digit`;
  for (const c of name.slice(1, -1)) {
    if (!isAlphaNumeric(c) && c !== "_" && c !== "-" && c !== "." && c !== ":") {
      return `invalid character "${c}" in device name "${name}"`;
    }
  }
  if (!isAlphaNumeric(name[name.length - 1] as string)) return `invalid device name "${name}": should end with a letter or digit`;
  return undefined;
}

export function kindError(kind: string): string | undefined {
  const { vendor, class: cls } = parseKind(kind);
  if (vendor === "") return `invalid kind "${kind}": it must be vendor/class, e.g. nvidia.com/gpu`;
  return vendorNameError(vendor) ?? classNameError(cls);
}

/** The parts of a fully qualified device name, or the sentence saying what is wrong. */
export function parseQualifiedDeviceName(text: string): QualifiedDevice | { error: string } {
  const d = splitDeviceReference(text);
  if (d.vendor === "") return { error: `unqualified device "${text}", missing vendor (write vendor.com/class=name)` };
  if (d.class === "") return { error: `unqualified device "${text}", missing class` };
  if (d.name === "") return { error: `unqualified device "${text}", missing device name` };
  const e = vendorNameError(d.vendor) ?? classNameError(d.class) ?? deviceNameError(d.name);
  if (e) return { error: `invalid device "${text}": ${e}` };
  return d;
}

export function isQualifiedDeviceName(text: string): boolean {
  return !("error" in parseQualifiedDeviceName(text));
}
