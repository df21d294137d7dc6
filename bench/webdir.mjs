// The web package a bench client process loads: web/ of this checkout, or the
// directory in BENCH_WEB (another built web package, e.g. an older commit's in a
// git worktree; bench/run.mjs sets it for the `-before` kinds of BENCH_BEFORE).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The web package's directory as a file: URL ending in a slash. */
export const webDir = process.env.BENCH_WEB
  ? pathToFileURL(path.resolve(process.env.BENCH_WEB) + path.sep)
  : new URL('../web/', import.meta.url);
