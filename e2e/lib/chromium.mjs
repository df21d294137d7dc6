// Launching Debian's Chromium for the e2e checks: headless, a fresh
// profile, and the flags this machine needs (no background networking: the
// closed network refuses Google's hosts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches Chromium with a new profile directory named after prefix.
 * options go to playwright-core's launchPersistentContext (e.g. viewport),
 * except extraArgs: flags added after the usual ones.
 * The caller closes the context and removes the profile.
 */
export async function launchChromium(prefix, { extraArgs = [], ...options } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
    ...options,
  });
  return { context, profile };
}

/**
 * An init script (context.addInitScript(recordWasmCompiles)) that records,
 * in window.__wasmCompiles, how the page compiles WebAssembly: to check that
 * the streaming path is taken. Self-contained: Playwright sends its source.
 */
export function recordWasmCompiles() {
  window.__wasmCompiles = [];
  const cs = WebAssembly.compileStreaming;
  WebAssembly.compileStreaming = function (src) {
    window.__wasmCompiles.push('compileStreaming');
    return cs.apply(this, arguments);
  };
  const c = WebAssembly.compile;
  WebAssembly.compile = function () {
    window.__wasmCompiles.push('compile');
    return c.apply(this, arguments);
  };
}
