//go:build !js

package trpcws_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// optionFields lists the fields of type Options declared in file.
func optionFields(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Options" {
			return true
		}
		for _, fld := range ts.Type.(*ast.StructType).Fields.List {
			for _, name := range fld.Names {
				names = append(names, name.Name)
			}
		}
		return false
	})
	if len(names) == 0 {
		t.Fatalf("no type Options in %s", file)
	}
	return names
}

// Options is declared twice (options.go, options_js.go: the js/wasm one has
// no net/http fields). A field added to one must be added to the other.
func TestOptionsSameFieldsOnJS(t *testing.T) {
	native := slices.DeleteFunc(optionFields(t, "options.go"), func(n string) bool {
		return n == "HTTPHeader" || n == "HTTPHeaderFunc" || n == "HTTPClient"
	})
	js := optionFields(t, "options_js.go")
	if !slices.Equal(native, js) {
		t.Fatalf("Options fields differ between platforms:\nnative (without HTTPHeader, HTTPHeaderFunc, HTTPClient): %v\njs/wasm: %v", native, js)
	}
}
