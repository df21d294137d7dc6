#!/usr/bin/env bash
# make test-release: runs release.sh on a scratch copy of this working tree
# (its own git repository; node_modules linked from here), so the real
# repository's version, files and tags are never touched (checked at the end).
#   - refusals: a version that is not semantic, a missing CHANGELOG entry
#     (nothing written), TAG=1 with unrelated changes, failing checks (no tag);
#   - without TAG: sets every version, builds, checks (a quick subset: the
#     version tests, since this runs inside make test), packs and verifies the
#     tarball, and prints git commands that, run as printed, commit and tag;
#   - TAG=1: commits and creates the annotated tag itself; a second release of
#     the same version is refused.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
die() { echo "release_test: FAIL: $*" >&2; exit 1; }
ok() { echo "release_test: ok: $*"; }

[ -x web/node_modules/.bin/node ] && [ -d testserver/node_modules ] \
  || die "npm ci in web/ and testserver/ first (make deps)"

before=$(git status --porcelain; git rev-parse HEAD; git tag -l; cat version.go web/package.json)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
S=$WORK/repo
mkdir -p "$S"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$S"
ln -s "$ROOT/web/node_modules" "$S/web/node_modules"
ln -s "$ROOT/testserver/node_modules" "$S/testserver/node_modules"
export GIT_AUTHOR_NAME=release-test GIT_AUTHOR_EMAIL=release-test@example.invalid
export GIT_COMMITTER_NAME=release-test GIT_COMMITTER_EMAIL=release-test@example.invalid
cd "$S"
git init -q && git add -A && git commit -q -m scratch
TGZ_RE='trpcws-[0-9]+\.[0-9]+\.[0-9]+[-0-9A-Za-z.]*\.tgz'
QUICK="go test -count=1 -run '^TestVersion' . ./cmd/trpcws"
OUT=$WORK/out
release() { # env... : runs release.sh in the scratch copy, output in $OUT
  env "$@" bash release.sh > "$OUT" 2>&1
}
entry() { # version: a CHANGELOG entry above the others
  sed -i "0,/^## /s//## $1\n\n- release_test entry.\n\n## /" CHANGELOG.md
}
clean() { [ -z "$(git status --porcelain --untracked-files=no)" ]; }

# Refusals.
! release VERSION=1.2 || die "VERSION=1.2 was accepted"
grep -q 'not a semantic version' "$OUT" || die "VERSION=1.2: $(cat "$OUT")"
! release VERSION=2.0.0 CHECKS=true || die "VERSION=2.0.0 was accepted (the Go module path has no /v2)"
grep -q 'need the module path github.com/trpcws/trpcws/v2' "$OUT" || die "VERSION=2.0.0: $(cat "$OUT")"
! release VERSION=0.9.9 CHECKS=true || die "a release without a CHANGELOG entry went ahead"
grep -q 'CHANGELOG.md has no entry for 0.9.9' "$OUT" || die "no CHANGELOG entry: $(cat "$OUT")"
clean || die "a refused release wrote files: $(git status --porcelain)"
ok "refused VERSION=1.2, VERSION=2.0.0 and a version with no CHANGELOG entry, nothing written"

entry 0.9.9
echo "unrelated" >> README.md
! release VERSION=0.9.9 TAG=1 CHECKS=true || die "TAG=1 went ahead with an unrelated change"
grep -q 'uncommitted changes outside' "$OUT" || die "TAG=1 with README.md changed: $(cat "$OUT")"
git checkout -q -- README.md
! release VERSION=0.9.9 TAG=1 CHECKS=false || die "failing checks did not stop the release"
grep -q 'the checks failed' "$OUT" || die "failing checks: $(cat "$OUT")"
! git rev-parse -q --verify refs/tags/v0.9.9 > /dev/null || die "failing checks, but v0.9.9 was tagged"
[ ! -e dist/trpcws-0.9.9.tgz ] || die "failing checks, but the tarball was kept"
ok "refused TAG=1 with an unrelated change; failing checks: no tag, no tarball"

# The Go modules: go.mod with a replace directive or go.sum missing a line is refused before anything
# is written; a tagged tree that would not build (a file it needs left uncommitted) stops the release.
only_changelog() { [ "$(git status --porcelain --untracked-files=no)" = " M CHANGELOG.md" ]; }
undo() { git checkout -q -- $(git diff --name-only | grep -vx CHANGELOG.md); } # what the last release wrote
undo
go mod edit -replace=github.com/coder/websocket=./websocket
! release VERSION=0.9.9 CHECKS=true || die "a release went ahead with a replace directive in go.mod"
grep -qF 'go.mod has replace directives (github.com/coder/websocket => ./websocket)' "$OUT" || die "replace in go.mod: $(cat "$OUT")"
git checkout -q -- go.mod
only_changelog || die "a release refused for go.mod wrote files: $(git status --porcelain)"
sed -i '/^github.com\/coder\/websocket v1.8.14 h1:/d' go.sum
! release VERSION=0.9.9 CHECKS=true || die "a release went ahead with a line missing in go.sum"
grep -q 'go.mod/go.sum are not tidy' "$OUT" || die "go.sum missing a line: $(cat "$OUT")"
git checkout -q -- go.sum
only_changelog || die "a release refused for go.sum wrote files: $(git status --porcelain)"
printf 'package trpcws\n\nvar _ = releaseTestUncommitted\n' > zz_release_test_a.go
git add zz_release_test_a.go && git commit -q -m "needs an uncommitted file"
printf 'package trpcws\n\nconst releaseTestUncommitted = 1\n' > zz_release_test_b.go
! release VERSION=0.9.9 CHECKS=true || die "a release went ahead though the tagged tree lacks a file it needs"
grep -q 'does not build from the tags' "$OUT" || die "uncommitted file: $(cat "$OUT")"
grep -q 'undefined: releaseTestUncommitted' "$OUT" || die "uncommitted file, not the build error: $(cat "$OUT")"
! git rev-parse -q --verify refs/tags/v0.9.9 > /dev/null || die "a tagged tree that does not build, but v0.9.9 was tagged"
git rm -q zz_release_test_a.go && rm zz_release_test_b.go && git commit -q -m "no uncommitted file"
undo
only_changelog || die "could not undo the refused release: $(git status --porcelain)"
ok "refused a replace in go.mod, a line missing in go.sum, and a tagged tree that lacks a file it needs"

# A release without TAG: everything but the tag, whose commands it prints.
release VERSION=0.9.9 CHECKS="$QUICK" || die "release VERSION=0.9.9 failed: $(cat "$OUT")"
grep -qx 'const Version = "0.9.9"' version.go || die "version.go not set"
for f in web/package.json web/package-lock.json; do
  [ "$(node -p "require('./$f').version")" = 0.9.9 ] || die "$f not set"
done
[ "$(node -p "require('./web/package-lock.json').packages[''].version")" = 0.9.9 ] || die "web/package-lock.json packages[''] not set"
for f in examples/react-vite examples/nextjs e2e/bundlers; do
  [ "$(node -p "require('./$f/package-lock.json').packages['node_modules/trpcws'].version")" = 0.9.9 ] || die "$f/package-lock.json not set"
done
[ "$(node -p "require('./examples/wrangler/package.json').dependencies.trpcws")" = 0.9.9 ] || die "examples/wrangler/package.json's trpcws not set"
grep -qE '^[[:space:]]*github.com/trpcws/trpcws v0\.9\.9$' otel/go.mod || die "otel/go.mod does not require v0.9.9: $(grep trpcws/trpcws otel/go.mod)"
grep -qx 'replace github.com/trpcws/trpcws => ../' otel/go.mod || die "otel/go.mod lost its replace directive"
(cd otel && go list -m github.com/trpcws/trpcws > /dev/null) || die "otel/go.mod does not resolve the main module"

stale=$(git grep -n -o -E "$TGZ_RE" -- '*.md' ':!CHANGELOG.md' | grep -v ':trpcws-0\.9\.9\.tgz$' || true)
[ -z "$stale" ] || die "docs still name another tarball: $stale"
grep -qE 'ok[[:space:]]+github.com/trpcws/trpcws/cmd/trpcws' "$OUT" || die "the checks did not run: $(cat "$OUT")"
grep -q 'the installed tarball answered' "$OUT" || die "the pack test did not run: $(cat "$OUT")"
grep -qx 'release: go.mod and otel/go.mod: tidy, no replace a user would miss' "$OUT" || die "go.mod checks did not run: $(cat "$OUT")"
grep -q '^release: the tagged modules build from a fresh GOPATH' "$OUT" || die "the Go modules were not built from the tags: $(cat "$OUT")"
(cd dist && sha256sum --quiet -c trpcws-0.9.9.tgz.sha256) || die "dist/trpcws-0.9.9.tgz.sha256 does not check"
[ "$(tar -xzOf dist/trpcws-0.9.9.tgz package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0)).version')" = 0.9.9 ] \
  || die "dist/trpcws-0.9.9.tgz does not carry 0.9.9"
! git rev-parse -q --verify refs/tags/v0.9.9 > /dev/null || die "tagged without TAG=1"
grep -qx '  npm publish dist/trpcws-0.9.9.tgz --access public' "$OUT" || die "no publish command printed: $(cat "$OUT")"
grep -qx '  git push origin main v0.9.9 otel/v0.9.9' "$OUT" || die "no push of both tags printed: $(cat "$OUT")"
grep -qxF "  npm: trpcws@0.9.9, dist/trpcws-0.9.9.tgz ($(stat -c %s dist/trpcws-0.9.9.tgz) bytes, $(tar -tzf dist/trpcws-0.9.9.tgz | wc -l) files, sha256 $(sha256sum dist/trpcws-0.9.9.tgz | cut -d' ' -f1), integrity sha512-$(node -p "Buffer.from('$(sha512sum dist/trpcws-0.9.9.tgz | cut -c1-128)', 'hex').toString('base64')"))" "$OUT" \
  || die "no npm line (size, files, sha256, integrity of the tarball) under 'would publish': $(cat "$OUT")"
grep -qxF '  Go:  github.com/trpcws/trpcws@v0.9.9 (tag v0.9.9), github.com/trpcws/trpcws/otel@v0.9.9 (tag otel/v0.9.9)' "$OUT" || die "no Go line under 'would publish': $(cat "$OUT")"
H1='h1:[A-Za-z0-9+/]{43}='
grep -qE "^       github.com/trpcws/trpcws@v0\.9\.9 $H1\$" "$OUT" && grep -qE "^       github.com/trpcws/trpcws/otel@v0\.9\.9 $H1\$" "$OUT" \
  || die "no go.sum hashes of the two modules under 'would publish': $(cat "$OUT")"
# The printed commands, run as printed.
grep -E '^  git (commit|tag) ' "$OUT" > "$WORK/cmds"
[ "$(wc -l < "$WORK/cmds")" = 3 ] || die "expected a git commit and two git tag commands: $(cat "$OUT")"
bash -e "$WORK/cmds" || die "the printed commands failed: $(cat "$WORK/cmds")"
clean || die "the printed commit left changes: $(git status --porcelain)"
[ "$(git cat-file -t v0.9.9)" = tag ] || die "v0.9.9 is not an annotated tag"
[ "$(git rev-parse 'v0.9.9^{commit}')" = "$(git rev-parse HEAD)" ] || die "v0.9.9 is not the release commit"
git show v0.9.9:version.go | grep -qx 'const Version = "0.9.9"' || die "v0.9.9's version.go is not 0.9.9"
[ "$(git cat-file -t otel/v0.9.9)" = tag ] && [ "$(git rev-parse 'otel/v0.9.9^{commit}')" = "$(git rev-parse HEAD)" ] \
  || die "otel/v0.9.9 is not an annotated tag of the release commit"
git show v0.9.9:otel/go.mod | grep -qE '^[[:space:]]*github.com/trpcws/trpcws v0\.9\.9$' || die "v0.9.9's otel/go.mod does not require v0.9.9"
# The hashes printed are those of the modules the go command makes from the tags just created.
for m in github.com/trpcws/trpcws github.com/trpcws/trpcws/otel; do
  sum=$(cd "$WORK" && env GOPATH="$WORK/gopath" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOPROXY=off GOPRIVATE=github.com/trpcws/trpcws,github.com/trpcws/trpcws/otel \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.$S.insteadOf" GIT_CONFIG_VALUE_0=https://github.com/trpcws/trpcws \
    go mod download -json "$m@v0.9.9" | node -p 'JSON.parse(require("fs").readFileSync(0)).Sum') || die "go mod download $m@v0.9.9 from the tags failed"
  grep -qxF "       $m@v0.9.9 $sum" "$OUT" || die "$m@v0.9.9 from the tag is $sum, not the hash the release printed: $(cat "$OUT")"
done
ok "release VERSION=0.9.9: versions set, built, checked, packed and verified; the printed commands commit and tag"

# TAG=1: the release commits and tags by itself.
entry 0.10.0-rc.1
release VERSION=0.10.0-rc.1 TAG=1 CHECKS="$QUICK" || die "release VERSION=0.10.0-rc.1 TAG=1 failed: $(cat "$OUT")"
clean || die "TAG=1 left changes: $(git status --porcelain)"
[ "$(git cat-file -t v0.10.0-rc.1)" = tag ] || die "TAG=1 made no annotated tag v0.10.0-rc.1"
[ "$(git cat-file -t otel/v0.10.0-rc.1)" = tag ] || die "TAG=1 made no annotated tag otel/v0.10.0-rc.1"
[ "$(git log -1 --format=%s)" = "Release v0.10.0-rc.1" ] || die "TAG=1: HEAD is $(git log -1 --format=%s)"
git show --name-only --format= HEAD | grep -qx CHANGELOG.md || die "the release commit does not hold CHANGELOG.md"
git show v0.10.0-rc.1:web/package.json | grep -q '"version": "0.10.0-rc.1"' || die "the tag's web/package.json is not 0.10.0-rc.1"
! release VERSION=0.10.0-rc.1 TAG=1 CHECKS=true || die "a second release of 0.10.0-rc.1 went ahead"
grep -q 'tag v0.10.0-rc.1 exists already' "$OUT" || die "second release: $(cat "$OUT")"
ok "TAG=1: committed and tagged v0.10.0-rc.1; releasing it again is refused"

cd "$ROOT"
after=$(git status --porcelain; git rev-parse HEAD; git tag -l; cat version.go web/package.json)
[ "$before" = "$after" ] || die "the real repository changed"
ok "the real repository is untouched"
