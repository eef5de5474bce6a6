package faults

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envGenerators build the envs too large or too repetitive to keep as files.
var envGenerators = map[string]func() string{
	"wideAliasBomb": func() string {
		var b strings.Builder
		b.WriteString("big: &big " + strings.Repeat("x", 100_000) + "\nrefs:\n")
		for range 2000 {
			b.WriteString("- *big\n")
		}
		return b.String()
	},
	"billionLaughs": func() string {
		var b strings.Builder
		b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i < 10; i++ {
			refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, refs)
		}
		return b.String()
	},
	"hugeEnv":          func() string { return "a: " + strings.Repeat("x", 600<<10) + "\n" },
	"doublingTemplate": func() string { return `{{$x := printf "%0100000d" 0}}` + strings.Repeat("{{$x = print $x $x}}", 30) },
	"eqLargeTemplate": func() string {
		return `{{$x := printf "%0900000d" 0}}` + strings.Repeat("{{if eq $x $x}}{{end}}", 2000)
	},
	"sliceLargeTemplate": func() string {
		return `{{$x := printf "%0900000d" 0}}` + strings.Repeat("{{$y := slice $x 1}}", 2000)
	},
	"deepNesting": func() string { return "a: " + strings.Repeat("[", 200_000) },
}

// packageGenerators write bad chart packages into the chart directory.
var packageGenerators = map[string]func(t *testing.T, dir, file string){
	"zero": func(t *testing.T, dir, file string) { writeFile(t, filepath.Join(dir, file), nil) },
	"corrupt": func(t *testing.T, dir, file string) {
		writeFile(t, filepath.Join(dir, file), []byte("\x1f\x8bnot really a gzip stream"))
	},
	"nestedBomb": func(t *testing.T, dir, file string) {
		// Each level holds two copies of the one below: 8 copies of 20 MiB
		// of zeros at the top, in a package of a few hundred kB.
		pkg := chartTgz(t, "leaf", map[string][]byte{"files/zeros": nil}, 20<<20)
		for i := range 3 {
			pkg = chartTgz(t, fmt.Sprintf("level%d", i), map[string][]byte{"charts/a.tgz": pkg, "charts/b.tgz": pkg}, 0)
		}
		writeFile(t, filepath.Join(dir, file), pkg)
	},
	"manyFiles": func(t *testing.T, dir, file string) {
		files := map[string][]byte{}
		for i := range 20_000 {
			files[fmt.Sprintf("files/f%05d", i)] = nil
		}
		writeFile(t, filepath.Join(dir, file), chartTgz(t, "many", files, 0))
	},
	"valuesBomb": func(t *testing.T, dir, file string) {
		writeFile(t, filepath.Join(dir, file), chartTgz(t, "valuesbomb", map[string][]byte{"values.yaml": []byte(envGenerators["wideAliasBomb"]())}, 0))
	},
	"symlinkEscape": func(t *testing.T, dir, file string) {
		if err := os.Symlink("/etc/passwd", filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
	},
	"longName": func(t *testing.T, dir, file string) {
		writeFile(t, filepath.Join(dir, file), chartTgz(t, "longname", map[string][]byte{"files/" + strings.Repeat("n", 100_000): []byte("x")}, 0))
	},
	"clusterAdmin": func(t *testing.T, dir, file string) {
		binding := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {{ .Release.Name }}-owns-the-cluster\n" +
			"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n" +
			"subjects:\n- kind: ServiceAccount\n  name: default\n  namespace: {{ .Release.Namespace }}\n"
		writeFile(t, filepath.Join(dir, file), chartTgz(t, "clusteradmin", map[string][]byte{"templates/binding.yaml": []byte(binding)}, 0))
	},
	"bigFile": func(t *testing.T, dir, file string) {
		writeFile(t, filepath.Join(dir, file), chartTgz(t, "bigfile", map[string][]byte{"files/zeros": nil}, 100<<20))
	},
}

// chartTgz packs a chart named name with files (paths relative to the
// chart's root) and a minimal Chart.yaml and template. A file whose content
// is nil gets zeros bytes of zeros, streamed so the test never holds them.
func chartTgz(t *testing.T, name string, files map[string][]byte, zeros int64) []byte {
	t.Helper()
	all := map[string][]byte{
		"Chart.yaml":               fmt.Appendf(nil, "apiVersion: v2\nname: %s\nversion: 1.0.0\n", name),
		"templates/configmap.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
	}
	for k, v := range files {
		all[k] = v
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for p, data := range all {
		size := int64(len(data))
		var src io.Reader = bytes.NewReader(data)
		if data == nil && zeros > 0 {
			size, src = zeros, io.LimitReader(zeroReader{}, zeros)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + p, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, src); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
