import { test } from "node:test";
import assert from "node:assert/strict";
import { classNameError, deviceNameError, isQualifiedDeviceName, kindError, parseQualifiedDeviceName, qualifiedName, splitDeviceReference, vendorNameError } from "./names.js";

// Cases of the reference parser's tests (pkg/parser): qualified?, valid?
const qualifiedCases: { device: string; qualified: boolean; valid: boolean; parts?: [string, string, string] }[] = [
  { device: "vendor.com/class=dev", qualified: true, valid: true, parts: ["vendor.com", "class", "dev"] },
  { device: "vendor1.com/class1=dev1", qualified: true, valid: true },
  { device: "other-vendor1.com/class_1=dev_1", qualified: true, valid: true },
  { device: "yet_another-vendor2.com/c-lass_2=dev_1_2.42", qualified: true, valid: true },
  { device: "nvidia.com/gpu=0", qualified: true, valid: true, parts: ["nvidia.com", "gpu", "0"] },
  { device: "nvidia.com/gpu=0:1", qualified: true, valid: true, parts: ["nvidia.com", "gpu", "0:1"] },
  { device: "nvidia.com/gpu=GPU-4f9d6c2e-1111-2222-3333-444455556666", qualified: true, valid: true },
  { device: "foo.bar.baz/foo-bar123.B_az=all", qualified: true, valid: true },
  { device: "_invalid.com/class=dev", qualified: true, valid: false },
  { device: "invalid2.com-/class=dev", qualified: true, valid: false },
  { device: "invalid3.com/_class=dev", qualified: true, valid: false },
  { device: "invalid4.com/class_=dev", qualified: true, valid: false },
  { device: "invalid5.com/class=-dev", qualified: true, valid: false },
  { device: "invalid6.com/class=dev:", qualified: true, valid: false },
  { device: "invalid7.com/class=dev?", qualified: true, valid: false },
  { device: "invalid8.com/class=dev@1", qualified: true, valid: false },
  { device: "vendor.com/foo/bar=dev", qualified: true, valid: false },
  { device: "/dev/null", qualified: false, valid: false },
  { device: "/dev/vendor.com/class=dev", qualified: false, valid: false },
  { device: "dev", qualified: false, valid: false },
  { device: "vendor.com/class=", qualified: false, valid: false },
  { device: "=dev", qualified: false, valid: false },
  { device: "class=dev", qualified: false, valid: false },
  { device: "", qualified: false, valid: false },
];

for (const c of qualifiedCases) {
  test(`qualified device name "${c.device}" is ${c.qualified ? "qualified" : "unqualified"} and ${c.valid ? "valid" : "invalid"}`, () => {
    const parts = splitDeviceReference(c.device);
    assert.equal(parts.vendor !== "", c.qualified);
    if (!c.qualified) assert.equal(parts.name, c.device);
    assert.equal(isQualifiedDeviceName(c.device), c.valid);
    const parsed = parseQualifiedDeviceName(c.device);
    if (c.parts) assert.deepEqual(parsed, { vendor: c.parts[0], class: c.parts[1], name: c.parts[2] });
    if (!c.valid) assert.ok("error" in parsed && parsed.error.includes(JSON.stringify(c.device)));
  });
}

test("vendor and class names start with a letter and end with a letter or digit", () => {
  for (const ok of ["a", "vendor.com", "a-b_c.d9", "Z"]) {
    assert.equal(vendorNameError(ok), undefined, ok);
    assert.equal(classNameError(ok), undefined, ok);
  }
  for (const bad of ["", "1abc", "abc-", "a/b", "a b", "ä", "-a"]) {
    assert.ok(vendorNameError(bad), bad);
    assert.ok(classNameError(bad), bad);
  }
});

test("device names may start with a digit and hold colons inside", () => {
  for (const ok of ["0", "0:1", "gpu0", "mig0:1", "a.b-c_d", "GPU-abc"]) assert.equal(deviceNameError(ok), undefined, ok);
  for (const bad of ["", ":0", "0:", "a/b", "a=b", "-x", "x.", "a b"]) assert.ok(deviceNameError(bad), bad);
});

test("a kind is split at the first slash, so a class cannot contain one", () => {
  assert.equal(kindError("nvidia.com/gpu"), undefined);
  assert.equal(kindError("example.com/gpu.coherent"), undefined);
  assert.match(kindError("nvidia.com") ?? "", /invalid kind/);
  assert.match(kindError("vendor.com/foo/") ?? "", /invalid class/);
  assert.match(kindError("vendor.com/foo/bar") ?? "", /invalid character "\/"/);
  assert.equal(qualifiedName("nvidia.com", "gpu", "0"), "nvidia.com/gpu=0");
});

test("property: any vendor, class and device name built from the allowed characters round-trips through the qualified name", async () => {
  const fc = (await import("fast-check")).default;
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const alnum = letters + "0123456789";
  const pick = (chars: string) => fc.constantFrom(...chars.split(""));
  const word = (first: string, middle: string, last: string) =>
    fc.tuple(pick(first), fc.array(pick(middle), { maxLength: 12 }), pick(last)).map(([a, m, z]) => a + m.join("") + z);
  const vendorOrClass = word(letters, alnum + "_-.", alnum);
  const device = word(alnum, alnum + "_-.:", alnum);
  fc.assert(fc.property(vendorOrClass, vendorOrClass, device, (v, c, n) => {
    assert.deepEqual(parseQualifiedDeviceName(qualifiedName(v, c, n)), { vendor: v, class: c, name: n });
  }));
  fc.assert(fc.property(vendorOrClass, vendorOrClass, device, fc.constantFrom("/", "=", " ", "@", "?"), (v, c, n, bad) => {
    assert.equal(isQualifiedDeviceName(qualifiedName(v, c, `${n}${bad}${n}`)), false);
  }));
});
