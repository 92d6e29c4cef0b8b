/** Installs the real ELF writer into SimTree.makeSharedObject. */
import { buildSharedObject } from "./elf.js";
import { SimTree } from "./tree.js";

export function installSharedObjectMaker(): void {
  SimTree.makeSharedObject = (tree, p, soname) => {
    tree.writeFile(p, buildSharedObject({ soname, needed: ["libc.so.6"] }), 0o755);
  };
}
