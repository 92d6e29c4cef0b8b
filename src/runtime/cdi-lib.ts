// CDI spec loading and injection for actk-runtime, imported only when a container names CDI
// devices or the mode is cdi: the build puts it (and the YAML parser) in a chunk of its own, so
// the common jit start never parses it.
export { loadSpecDirs } from "../cdi/load.js";
export { cdiDeviceEdits } from "../apply/cdi-inject.js";
