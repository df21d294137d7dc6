package trpcws

// Version is the version of this module and of the npm package trpcws built
// from it (web/package.json carries the same version; a test checks it).
// `make release VERSION=x.y.z` rewrites both.
const Version = "0.1.0"
