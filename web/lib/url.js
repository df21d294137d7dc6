// The WebSocket URL rule (core.URLReason), applied after the WHATWG URL
// parser as the Go driver applies it after net/url: a URL it rejects can
// never be dialled, so the client says so instead of retrying it.
import { URL_NO_HOST, URL_NO_SCHEME, URL_SCHEMES, URL_WANT_SCHEME } from './constants.js';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * What makes url impossible to dial as a WebSocket, or undefined when
 * nothing does. A relative URL is resolved against the document's base URL
 * where there is one, as a browser's WebSocket does.
 */
export function urlProblem(url) {
  const base = globalThis.document?.baseURI;
  let u;
  try {
    u = base ? new URL(url, base) : new URL(url);
  } catch {
    return SCHEME.test(url) ? 'does not parse' : URL_NO_SCHEME;
  }
  const scheme = u.protocol.slice(0, -1);
  if (!URL_SCHEMES.includes(scheme)) return `scheme ${scheme}${URL_WANT_SCHEME}`;
  if (!u.host) return URL_NO_HOST;
  return undefined;
}

/** The TypeError for a bad URL, worded as core.URLError is (option: where it came from). */
export function urlError(option, url, reason) {
  return new TypeError(`trpcws: ${option}: invalid WebSocket URL ${JSON.stringify(url)}: ${reason}`);
}
