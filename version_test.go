package trpcws

import (
	"encoding/json"
	"os"
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
