/**
 * Fully qualified CDI device names (`vendor.com/class=name`), validated with the
 * rules of the CDI reference parser (container-device-interface pkg/parser):
 * vendor and class start with a letter, end with a letter or digit and hold
 * letters, digits, `_`, `-` and `.` in between; the device name starts and
 * ends with a letter or digit and may also hold `:` in between.
 */

export interface QualifiedDeviceName {
  vendor: string;
  class: string;
  name: string;
}

const vendorOrClass = /^[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const deviceName = /^[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/** The parts of a qualified name, or a sentence saying which part is wrong. */
export function parseQualifiedName(text: string): QualifiedDeviceName | { error: string } {
  const eq = text.indexOf("=");
  if (eq < 0) return { error: `"${text}" is not a fully qualified CDI device name (vendor.com/class=name): it has no "="` };
  const kind = text.slice(0, eq);
  const name = text.slice(eq + 1);
  const slash = kind.indexOf("/");
  if (slash <= 0) return { error: `"${text}" is not a fully qualified CDI device name (vendor.com/class=name): the kind "${kind}" has no vendor/class` };
  const vendor = kind.slice(0, slash);
  const cls = kind.slice(slash + 1);
  if (!vendorOrClass.test(vendor)) return { error: `"${text}": invalid CDI vendor "${vendor}" (start with a letter, end with a letter or digit; letters, digits, "_", "-", "." between)` };
  if (!vendorOrClass.test(cls)) return { error: `"${text}": invalid CDI class "${cls}" (start with a letter, end with a letter or digit; letters, digits, "_", "-", "." between)` };
  if (!deviceName.test(name)) return { error: `"${text}": invalid CDI device name "${name}" (start and end with a letter or digit; letters, digits, "_", "-", ".", ":" between)` };
  return { vendor, class: cls, name };
}

export function isQualifiedName(text: string): boolean {
  return !("error" in parseQualifiedName(text));
}
