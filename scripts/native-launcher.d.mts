export function compileNativeLauncher(src: string, out: string, extraFlags?: readonly string[]): { built: true } | { built: false; why: string };
