package trpcws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The Go module and the npm package carry one version.
func TestVersionMatchesPackageJSON(t *testing.T) {
	data, err := os.ReadFile("web/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Version != Version {
		t.Fatalf("web/package.json version %q, trpcws.Version %q: make release VERSION=x.y.z sets both", pkg.Version, Version)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(Version) {
		t.Fatalf("Version %q is not a semantic version", Version)
	}
}

// The docs show the tarball `npm pack` writes for this version
// (make release VERSION=x.y.z rewrites those names).
func TestVersionInDocs(t *testing.T) {
	re := regexp.MustCompile(`trpcws-\d+\.\d+\.\d+[-0-9A-Za-z.]*\.tgz`)
	want := "trpcws-" + Version + ".tgz"
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("examples/*/README.md")
	docs = append(append(docs, "README.md", "web/README.md"), more...)
	for _, f := range docs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range re.FindAllString(string(data), -1) {
			if got != want {
				t.Errorf("%s names %s, want %s: make release VERSION=x.y.z sets it", f, got, want)
			}
		}
	}
}
