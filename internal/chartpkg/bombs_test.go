package chartpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
)

// tarEntry is one entry of a generated package.
type tarEntry struct {
	name string
	data []byte
	dir  bool
	pax  map[string]string // extra PAX records
}

// tgz builds a gzip-compressed tar of entries, as a chart package is laid out
// (every name under one top directory).
func tgz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hd := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		hd.PAXRecords = e.pax
		if e.dir {
			hd.Typeflag, hd.Size, hd.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(hd); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
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

// chartYAML is a minimal valid Chart.yaml for name.
func chartYAML(name string) tarEntry {
	return tarEntry{name: name + "/Chart.yaml", data: fmt.Appendf(nil, "apiVersion: v2\nname: %s\nversion: 1.0.0\n", name)}
}

// smallChart is a valid package holding one template of size bytes.
func smallChart(t testing.TB, name string, size int) []byte {
	return tgz(t, chartYAML(name),
		tarEntry{name: name + "/values.yaml", data: []byte("a: 1\n")},
		tarEntry{name: name + "/templates/cm.yaml", data: bytes.Repeat([]byte{'#'}, size)})
}

// nestedBomb is a package whose charts/ holds fanout copies of a package
// whose charts/ holds fanout copies ... levels deep; the innermost holds a
// template of innerBytes. Helm gives each nested package its own 100 MiB,
// so the whole expands to fanout^levels * innerBytes while every single
// package stays small.
func nestedBomb(t testing.TB, levels, fanout, innerBytes int) []byte {
	pkg := smallChart(t, "c0", innerBytes)
	for l := 1; l <= levels; l++ {
		name := fmt.Sprintf("c%d", l)
		entries := []tarEntry{chartYAML(name)}
		for i := range fanout {
			entries = append(entries, tarEntry{name: fmt.Sprintf("%s/charts/s%d.tgz", name, i), data: pkg})
		}
		pkg = tgz(t, entries...)
	}
	return pkg
}

// deepNesting nests one tiny package inside another depth times.
func deepNesting(t testing.TB, depth int) []byte {
	return nestedBomb(t, depth, 1, 1)
}

// manyFiles is a package of n empty files.
func manyFiles(t testing.TB, n int) []byte {
	entries := []tarEntry{chartYAML("many")}
	for i := range n {
		entries = append(entries, tarEntry{name: fmt.Sprintf("many/files/%07d", i)})
	}
	return tgz(t, entries...)
}

// longName is a package with one file whose name (a PAX record) is n bytes.
func longName(t testing.TB, n int) []byte {
	return tgz(t, chartYAML("long"), tarEntry{name: "long/" + strings.Repeat("x", n), data: []byte("x")})
}

// aliasBomb is a YAML mapping whose aliases expand to 10^levels scalars
// (a "billion laughs" for levels 9) in a few hundred bytes.
func aliasBomb(levels int) []byte {
	var b strings.Builder
	b.WriteString("l0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i <= levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+",", 10), ","))
	}
	return []byte(b.String())
}

// valuesBomb is a package whose values.yaml is an alias bomb; sub puts it in
// a subchart directory instead of the top chart.
func valuesBomb(t testing.TB, sub bool) []byte {
	name := "bomb/values.yaml"
	entries := []tarEntry{chartYAML("bomb")}
	if sub {
		entries = append(entries, tarEntry{name: "bomb/charts/sub/Chart.yaml", data: []byte("apiVersion: v2\nname: sub\nversion: 1.0.0\n")})
		name = "bomb/charts/sub/values.yaml"
	}
	return tgz(t, append(entries, tarEntry{name: name, data: aliasBomb(9)})...)
}

// paxFlood is a package of n empty files, each preceded by a PAX record of
// size bytes: tar readers parse and drop them, and no entry holds them.
func paxFlood(t testing.TB, n, size int) []byte {
	entries := []tarEntry{chartYAML("pax")}
	for i := range n {
		entries = append(entries, tarEntry{name: fmt.Sprintf("pax/f%d", i), pax: map[string]string{"comment": strings.Repeat("c", size)}})
	}
	return tgz(t, entries...)
}
