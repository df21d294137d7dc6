#!/usr/bin/env bash
# The release, as one command (make release VERSION=x.y.z; docs/releasing.md):
#   1. checks VERSION (semantic, no tag vVERSION yet), that CHANGELOG.md has
#      a "## VERSION" entry with something in it (fails if not: write it first),
#      and that go.mod and otel/go.mod are tidy, with no replace directive a
#      user's build would miss (otel/'s link to ../ is the only one);
#   2. sets the version everywhere it lives: version.go (trpcws.Version),
#      web/package.json and web/package-lock.json, the lock files that link
#      web/ (examples/react-vite, examples/nextjs, e2e/bundlers), the trpcws
#      dependency of examples/wrangler/package.json, the nested module's
#      requirement of this one (otel/go.mod: a user's `go get` ignores its
#      replace directive), and the tarball names the docs show
#      (trpcws-x.y.z.tgz in *.md);
#   3. makes the release commit and both tags in a scratch clone and builds
#      from them, as a user's go command gets them (fresh GOPATH, the tags
#      fetched with git): the root module as a main module, native and js/wasm,
#      and a program requiring otel at vVERSION; prints the modules' go.sum hashes;
#   4. builds (./build.sh) and runs the checks: CHECKS, `make test` unless told
#      otherwise (every suite: a release is checked as CI checks main);
#   5. packs the npm tarball and verifies it with web/test/pack.sh (installed
#      into a scratch app, it answers a query, a mutation and a subscription
#      against the real server), kept as dist/trpcws-VERSION.tgz with its
#      sha256 in dist/trpcws-VERSION.tgz.sha256 (and npm's integrity printed);
#   6. prepares the Go tags: with TAG=1 commits the release ("Release vVERSION")
#      and creates the annotated tags vVERSION and otel/vVERSION (the nested
#      module's), locally; otherwise prints the exact git commands. It then
#      prints what would be published and the publishing commands, which it
#      never runs (they need registry credentials: docs/releasing.md).
#
#   VERSION=x.y.z [TAG=1] [CHECKS='make test'] bash release.sh
#
# Run it again after a failure: every step is idempotent. release_test.sh
# runs it on a scratch copy of the repository (make test-release).
set -euo pipefail
cd "$(dirname "$0")"
die() { echo "release: $*" >&2; exit 1; }
say() { echo "release: $*"; }

VERSION=${VERSION:-}
TAG=${TAG:-}
CHECKS=${CHECKS:-make test}
[ -n "$VERSION" ] || die "usage: make release VERSION=x.y.z [TAG=1] [CHECKS='make test']"
[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] \
  || die "VERSION=$VERSION is not a semantic version (x.y.z or x.y.z-pre)"
# Go: a module's version is v0 or v1 unless its path ends in /vN (github.com/trpcws/trpcws/v2).
[ "${BASH_REMATCH[1]}" -le 1 ] || die "VERSION=$VERSION: Go modules of major version 2 and up need the module path github.com/trpcws/trpcws/v${BASH_REMATCH[1]} (go.mod, otel/go.mod and every import), which this script does not change"
TAGNAME=v$VERSION
OTELTAG=otel/$TAGNAME
git rev-parse --git-dir > /dev/null 2>&1 || die "not in a git repository"
for t in "$TAGNAME" "$OTELTAG"; do
  ! git rev-parse -q --verify "refs/tags/$t" > /dev/null || die "tag $t exists already"
done

# The files a release writes (the docs that name the tarball are found below).
OLD=$(sed -n -E 's/^const Version = "([^"]*)"$/\1/p' version.go)
[ -n "$OLD" ] || die "version.go has no line const Version = \"...\""
mapfile -t DOCS < <(git grep -l -E 'trpcws-[0-9]+\.[0-9]+\.[0-9]+[-0-9A-Za-z.]*\.tgz' -- '*.md' ':!CHANGELOG.md' || true)
LOCKS=(web/package-lock.json examples/react-vite/package-lock.json examples/nextjs/package-lock.json e2e/bundlers/package-lock.json)
FILES=(CHANGELOG.md version.go web/package.json examples/wrangler/package.json otel/go.mod "${LOCKS[@]}" "${DOCS[@]}")

if [ "$TAG" = 1 ]; then
  # The release commit holds the release and nothing else.
  other=$(git status --porcelain --untracked-files=no | cut -c4- | grep -vxF -f <(printf '%s\n' "${FILES[@]}") || true)
  [ -z "$other" ] || die "TAG=1: uncommitted changes outside the release's files, commit or stash them first: $(echo $other)"
fi

# 1. The CHANGELOG entry: "## x.y.z" (or "## [x.y.z]", optionally followed by a
# date) with at least one non-blank line before the next "## ".
awk -v v="$VERSION" '
  /^## / { if (found) exit; h = $0; sub(/^## +\[?/, "", h); sub(/[] ].*$/, "", h); if (h == v) { found = 1; next } }
  found && NF > 0 { body = 1 }
  END { exit !(found && body) }' CHANGELOG.md \
  || die "CHANGELOG.md has no entry for $VERSION: add a \"## $VERSION\" section saying what changed for users (e.g. rename \"## Unreleased\"), then run this again"
say "CHANGELOG.md has an entry for $VERSION"
# The license travels with each package: the npm tarball packs web/LICENSE, and a Go module's zip
# holds only its own directory, so the nested module otel/ carries a copy too.
for f in web/LICENSE otel/LICENSE; do cmp -s LICENSE "$f" || die "$f is missing or differs from LICENSE"; done
# The Go modules as tagged: a user's build ignores replace directives, so the root module has none
# and otel/'s only one is its development link to ../ (its requirement, set below, is what users
# get); go.mod and go.sum are tidy (every sum a build or test of either module needs is there).
replaces() { go mod edit -json "$1" | node -e 'const r = JSON.parse(require("node:fs").readFileSync(0, "utf8")).Replace || []; process.stdout.write(r.map((x) => `${x.Old.Path}${x.Old.Version ? "@" + x.Old.Version : ""} => ${x.New.Path}${x.New.Version ? "@" + x.New.Version : ""}`).join("; "))'; }
r=$(replaces go.mod) || die "go mod edit -json go.mod failed"
[ -z "$r" ] || die "go.mod has replace directives ($r): a user's build ignores them, remove them"
r=$(replaces otel/go.mod) || die "go mod edit -json otel/go.mod failed"
[ "$r" = "github.com/trpcws/trpcws => ../" ] || die "otel/go.mod's replace directives are \"$r\", want only \"github.com/trpcws/trpcws => ../\" (a user's build ignores them)"
go mod tidy -diff > /dev/null || die "go.mod/go.sum are not tidy: run go mod tidy (go mod tidy -diff shows what is missing)"
(cd otel && go mod tidy -diff > /dev/null) || die "otel/go.mod/go.sum are not tidy: run go mod tidy in otel/ (go mod tidy -diff shows what is missing)"
say "go.mod and otel/go.mod: tidy, no replace a user would miss"

# 2. The version, everywhere it lives.
sed -i -E "s/^const Version = \"[^\"]*\"$/const Version = \"$VERSION\"/" version.go
grep -qx "const Version = \"$VERSION\"" version.go || die "could not set the version in version.go"
# Lock files: only their record of this package's version changes, not the
# dependencies, so an install that was current stays current (the test
# scripts reinstall when a lock file is newer than node_modules).
current=()
for f in "${LOCKS[@]}"; do
  hidden=$(dirname "$f")/node_modules/.package-lock.json
  if [ -f "$hidden" ] && ! [ "$f" -nt "$hidden" ]; then current+=("$f"); fi
done
node - "$VERSION" "${LOCKS[@]}" << 'JS' || die "could not set the version in package.json and the lock files"
const fs = require('node:fs');
const [version, webLock, ...linkLocks] = process.argv.slice(2);
const edit = (file, change) => {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
};
const need = (obj, what) => { if (!obj) throw new Error(`no ${what}`); return obj; };
edit('web/package.json', (p) => { p.version = version; });
edit('examples/wrangler/package.json', (p) => { need(p.dependencies?.trpcws, 'dependencies.trpcws in examples/wrangler/package.json'); p.dependencies.trpcws = version; });
edit(webLock, (l) => { l.version = version; need(l.packages?.[''], `packages[""] in ${webLock}`).version = version; });
for (const f of linkLocks) edit(f, (l) => { need(l.packages?.['node_modules/trpcws'], `node_modules/trpcws in ${f}`).version = version; });
JS
for f in "${current[@]}"; do touch -r "$(dirname "$f")/node_modules/.package-lock.json" "$f"; done
for f in "${DOCS[@]}"; do sed -i -E "s/trpcws-[0-9]+\.[0-9]+\.[0-9]+[-0-9A-Za-z.]*\.tgz/trpcws-$VERSION.tgz/g" "$f"; done
# otel/go.mod keeps its replace directive (development against ../) but must name a version of
# the main module that exists once tagged: dependents ignore the replace.
(cd otel && go mod edit -require="github.com/trpcws/trpcws@$TAGNAME") || die "could not set the requirement in otel/go.mod"
grep -qE "^[[:space:]]*github.com/trpcws/trpcws $TAGNAME\$" otel/go.mod || die "otel/go.mod does not require github.com/trpcws/trpcws $TAGNAME"
say "version $OLD -> $VERSION in version.go, web/package.json, examples/wrangler/package.json, otel/go.mod, ${#LOCKS[@]} lock files, ${#DOCS[@]} docs"

# The files the release commit holds (those of the release that changed).
changed=()
while IFS= read -r f; do changed+=("$f"); done < <(git status --porcelain --untracked-files=no -- "${FILES[@]}" | cut -c4-)

# 3. The Go modules as a user gets them: the release commit and its two tags made in a scratch
# clone (HEAD plus the release's files, as the commit below), fetched by the go command from those
# tags (git's url.insteadOf points github.com/trpcws/trpcws at the clone) into a fresh GOPATH; the
# root module built there as a main module (every package, native and js/wasm: a file left
# uncommitted, or a go.sum line missing, fails here), and a program using both modules, requiring
# only otel at vVERSION, built and run (the root module comes in by otel's requirement, since its
# replace does not apply: the requirement must be the tag). Other modules come from the local
# module cache (no network), and the program's go.sum lines for them must be those of go.sum and
# otel/go.sum.
say "Go modules from the tags $TAGNAME and $OTELTAG, in a fresh GOPATH"
{ go mod download && (cd otel && go mod download); } || die "go mod download failed"
G=$(mktemp -d)
trap 'rm -rf "$G"' EXIT
{ git clone -q --shared . "$G/repo" && git -C "$G/repo" checkout -q --detach "$(git rev-parse HEAD)"; } || die "git clone to $G/repo failed"
for f in "${changed[@]}"; do cp "$f" "$G/repo/$f"; done
{ git -C "$G/repo" -c user.name=release -c user.email=release@example.invalid commit -q --allow-empty -am "Release $TAGNAME" \
  && git -C "$G/repo" tag "$TAGNAME" && git -C "$G/repo" tag "$OTELTAG"; } || die "the scratch release commit failed"
mkdir -p "$G/app"
cat > "$G/app/go.mod" << GOMOD
module example.com/releasecheck

go 1.26

require github.com/trpcws/trpcws/otel $TAGNAME
GOMOD
cat > "$G/app/main.go" << 'GO'
package main

import (
	"fmt"

	"github.com/trpcws/trpcws"
	trpcotel "github.com/trpcws/trpcws/otel"
)

func main() {
	i, err := trpcotel.NewInterceptor()
	if err != nil {
		panic(err)
	}
	_ = trpcws.Options{Interceptors: []trpcws.Interceptor{i}}
	fmt.Println(trpcws.Version)
}
GO
CACHE=$(go env GOMODCACHE)/cache/download
gomod() { # dir cmd...: the go command as a user's, the two modules fetched from the scratch clone's tags
  local dir=$1; shift
  (cd "$dir" && env GOPATH="$G/gopath" GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local GOWORK=off \
    GOPROXY="file://$CACHE" GOPRIVATE=github.com/trpcws/trpcws,github.com/trpcws/trpcws/otel GOSUMDB=off \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.$G/repo.insteadOf" GIT_CONFIG_VALUE_0=https://github.com/trpcws/trpcws "$@")
}
got=$(gomod "$G/app" go run . 2> "$G/app.err") \
  || die "a program requiring github.com/trpcws/trpcws/otel $TAGNAME does not build from the tags: $(cat "$G/app.err")"
[ "$got" = "$VERSION" ] || die "a program built from the tag $TAGNAME printed trpcws.Version \"$got\", want \"$VERSION\""
foreign=$(grep -v '^github.com/trpcws/trpcws[ /]' "$G/app/go.sum" | grep -vxF -f <(cat go.sum otel/go.sum) || true)
[ -z "$foreign" ] || die "go.sum lines of the modules' dependencies that go.sum and otel/go.sum do not hold: $foreign"
MOD=$G/gopath/pkg/mod/github.com/trpcws/trpcws@$TAGNAME
{ gomod "$MOD" env GOFLAGS=-mod=readonly go build ./... && gomod "$MOD" env GOFLAGS=-mod=readonly GOOS=js GOARCH=wasm go build ./...; } 2> "$G/build.err" \
  || die "github.com/trpcws/trpcws at $TAGNAME does not build as a main module (native and js/wasm): $(cat "$G/build.err")"
sums=$(grep -E "^github.com/trpcws/trpcws(/otel)? $TAGNAME h1:" "$G/app/go.sum" | awk '{print $1 "@" $2 " " $3}')
[ "$(wc -l <<< "$sums")" = 2 ] || die "no go.sum hashes of the two modules at $TAGNAME: $(cat "$G/app/go.sum")"
say "the tagged modules build from a fresh GOPATH; their go.sum hashes: $(echo $sums)"

# 4. Build and check.
say "./build.sh"
./build.sh || die "./build.sh failed"
got=$(go run ./cmd/trpcws --version) || die "go run ./cmd/trpcws --version failed"
[ "$got" = "trpcws $VERSION" ] || die "trpcws --version printed \"$got\", want \"trpcws $VERSION\""
say "checks: $CHECKS"
bash -c "$CHECKS" || die "the checks failed ($CHECKS): nothing was packed or tagged"

# 5. Pack and verify.
TGZ=dist/trpcws-$VERSION.tgz
rm -f "$TGZ" "$TGZ.sha256"
bash web/test/pack.sh dist || die "the pack test failed"
[ -f "$TGZ" ] || die "web/test/pack.sh left no $TGZ"
v=$(tar -xzOf "$TGZ" package/package.json | node -e 'process.stdout.write(JSON.parse(require("node:fs").readFileSync(0, "utf8")).version)')
[ "$v" = "$VERSION" ] || die "$TGZ carries version $v, want $VERSION"
sha=$(sha256sum "$TGZ" | cut -d' ' -f1)
integrity=$(node -e 'process.stdout.write("sha512-" + require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$TGZ")
(cd dist && sha256sum "trpcws-$VERSION.tgz" > "trpcws-$VERSION.tgz.sha256")
say "$TGZ verified, sha256 $sha (dist/trpcws-$VERSION.tgz.sha256), npm integrity $integrity"

# 6. The Go tags.
commit=(git commit -q -m "Release $TAGNAME" -- "${changed[@]}")
tag=(git tag -a "$TAGNAME" -m "trpcws $TAGNAME")
oteltag=(git tag -a "$OTELTAG" -m "trpcws/otel $TAGNAME")
if [ "$TAG" = 1 ]; then
  if [ ${#changed[@]} -gt 0 ]; then "${commit[@]}" || die "git commit failed"; fi
  "${tag[@]}" || die "git tag failed"
  "${oteltag[@]}" || die "git tag $OTELTAG failed"
  say "committed and tagged $TAGNAME and $OTELTAG at $(git rev-parse --short HEAD) (local only)"
else
  say "to commit and tag (or run again with TAG=1):"
  if [ ${#changed[@]} -gt 0 ]; then echo "  git commit -m \"Release $TAGNAME\" -- ${changed[*]}"; fi
  echo "  git tag -a $TAGNAME -m \"trpcws $TAGNAME\""
  echo "  git tag -a $OTELTAG -m \"trpcws/otel $TAGNAME\""
fi
files=$(tar -tzf "$TGZ" | wc -l)
say "would publish (checked above, not published):"
echo "  npm: trpcws@$VERSION, $TGZ ($(stat -c %s "$TGZ") bytes, $files files, sha256 $sha, integrity $integrity)"
echo "  Go:  github.com/trpcws/trpcws@$TAGNAME (tag $TAGNAME), github.com/trpcws/trpcws/otel@$TAGNAME (tag $OTELTAG)"
while read -r m h; do echo "       $m $h"; done <<< "$sums"
say "not run here (needs registry credentials, docs/releasing.md):"
echo "  git push origin main $TAGNAME $OTELTAG"
echo "  npm publish $TGZ --access public"
