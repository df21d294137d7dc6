package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// image returns memory's initial bytes as the module's data segments set them.
func image(t *testing.T, module []byte) []byte {
	t.Helper()
	r := &reader{b: module, pos: 8}
	for r.pos < len(module) {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			t.Fatal(r.err)
		}
		if id == sectionData {
			segs, err := readData(body)
			if err != nil {
				t.Fatal(err)
			}
			var mem []byte
			for _, s := range segs {
				if need := int(s.offset) + len(s.data); need > len(mem) {
					mem = append(mem, make([]byte, need-len(mem))...)
				}
				copy(mem[s.offset:], s.data)
			}
			return mem
		}
	}
	t.Fatal("no data section")
	return nil
}

// A Go program built for js/wasm, merged, holds the same memory image, still
// validates in Node, and runs there with the same output.
func TestMergedModuleRuns(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed (make deps installs the project's runtimes):", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	prog := "package main\n\nimport \"fmt\"\n\nvar table = map[string]int{\"one\": 1, \"two\": 2}\n\nfunc main() { fmt.Println(\"hello from wasm\", table[\"two\"], len(fmt.Sprint(3.5))) }\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(dir, "orig.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", orig, src)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GO111MODULE=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	out, before, after, err := merge(in, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if before < 100 || after > 4 {
		t.Fatalf("%d segments merged into %d, want many into a few", before, after)
	}
	if !bytes.Equal(image(t, in), image(t, out)) {
		t.Fatal("merged module's memory image differs")
	}
	merged := filepath.Join(dir, "merged.wasm")
	if err := os.WriteFile(merged, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := exec.Command(node, "-e", "process.stdout.write(String(WebAssembly.validate(require('fs').readFileSync(process.argv[1]))))", merged).CombinedOutput(); err != nil || string(got) != "true" {
		t.Fatalf("WebAssembly.validate: %s %v", got, err)
	}
	runner := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec_node.js")
	for _, f := range []string{orig, merged} {
		got, err := exec.Command(node, runner, f).CombinedOutput()
		if err != nil || string(got) != "hello from wasm 2 3\n" {
			t.Fatalf("%s in Node: %q %v", filepath.Base(f), got, err)
		}
	}
}

// A module it does not understand is refused, not rewritten.
func TestRefusesWhatItDoesNotUnderstand(t *testing.T) {
	header := []byte("\x00asm\x01\x00\x00\x00")
	for name, m := range map[string][]byte{
		"not wasm":        []byte("hello"),
		"no data section": header,
		"passive segment": append(append([]byte(nil), header...), sectionData, 4, 1, 1, 1, 7),
		"truncated":       append(append([]byte(nil), header...), sectionData, 9, 1),
		"overlap": append(append([]byte(nil), header...), sectionData, 15, 2,
			0, 0x41, 0, 0x0b, 2, 1, 2,
			0, 0x41, 1, 0x0b, 1, 3),
	} {
		if _, _, _, err := merge(m, 4096); err == nil {
			t.Errorf("%s: merged, want an error", name)
		}
	}
}
