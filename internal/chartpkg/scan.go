package chartpkg

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// maxNesting bounds how deep chart packages may sit inside each other's
// charts/ directories. Helm gives every nested package a fresh allowance, so
// depth is what turns a few KiB into GiB; real umbrella charts nest two or
// three levels.
const maxNesting = 8

// utf8BOM is stripped from files before YAML parsing, as Helm does.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// scanner measures one chart package against its limits without keeping
// what it reads (YAML files aside, one at a time), so that a package is
// refused before Helm's loader expands it into memory. One scanner is one
// budget: entries, bytes and expanded YAML of nested packages add to their
// parent's, unlike Helm's per-package allowance.
type scanner struct {
	lim       limits.Limits
	bytes     int64 // decompressed bytes (tar stream or file content), nested packages included
	entries   int   // entries seen, directories and empty files included
	yamlBytes int64 // expanded size of every YAML file Helm will parse
	// err is the first limit error. It is sticky because gzip and tar
	// readers stacked on a counted reader may wrap or replace its error.
	err error
}

// newScanner returns a scanner with lim's zero fields set to defaults.
func newScanner(lim limits.Limits) *scanner {
	return &scanner{lim: lim.Normalize()}
}

// archive scans a gzip-compressed tar stream. where names the stream in
// errors ("" for the package itself); depth is its nesting level (0 for the
// package itself).
func (s *scanner) archive(r io.Reader, where string, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("%schart packages nested more than %d deep: %w", prefix(where), maxNesting, limits.ErrExceeded)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return s.fail(fmt.Errorf("%snot a gzip-compressed chart package: %w", prefix(where), err))
	}
	defer gz.Close()
	// Counting what gzip yields, not what entries hold, also counts what
	// tar reads on its own: headers, PAX and GNU long-name records (any
	// number of them before one entry), padding and skipped data.
	tr := tar.NewReader(&countedReader{s: s, r: gz})
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.fail(fmt.Errorf("%sread tar: %w", prefix(where), err))
		}
		name := archivePath(hd.Name)
		display := join(where, name)
		if err := s.name(display, hd.Name, hd.Linkname); err != nil {
			return err
		}
		var content io.Reader = tr
		if hd.FileInfo().IsDir() || hd.Typeflag == tar.TypeXGlobalHeader {
			content = nil // Helm skips these; they still count as entries
		}
		if err := s.entry(display, name, hd.Size, content, depth); err != nil {
			return err
		}
	}
}

// name checks the length of an entry's names, where the long names of PAX
// and GNU headers end up.
func (s *scanner) name(display string, names ...string) error {
	for _, n := range names {
		if len(n) > s.lim.ChartNameBytes {
			return limits.Exceeded(fmt.Sprintf("path length of %q", cut(display)), int64(len(n)), int64(s.lim.ChartNameBytes), limits.FlagChartNameBytes)
		}
	}
	return nil
}

// entry counts one entry and reads its content from r (nil for entries
// without content), a reader that counts what it yields. name is the entry's path as Helm sees it inside its
// chart (top directory stripped), display how errors name it, size the
// size its header or stat declares.
func (s *scanner) entry(display, name string, size int64, r io.Reader, depth int) error {
	s.entries++
	if s.entries > s.lim.ChartFiles {
		return limits.Exceeded("number of entries in the chart package (nested subcharts included)", -1, int64(s.lim.ChartFiles), limits.FlagChartFiles)
	}
	if r == nil {
		return nil
	}
	if size > s.lim.ChartBytes-s.bytes {
		return s.fail(s.tooLarge())
	}
	var err error
	switch classify(name) {
	case yamlFile:
		var data []byte
		// Read no more than the YAML limit (plus a BOM): yaml refuses a
		// longer text anyway.
		if data, err = io.ReadAll(io.LimitReader(r, int64(s.lim.ExpandedYAMLBytes+len(utf8BOM)+1))); err == nil {
			err = s.yaml(display, data)
		}
	case nestedPackage:
		if err = s.archive(r, display, depth+1); err == nil {
			// Helm holds the whole nested file, trailing bytes included.
			_, err = io.Copy(io.Discard, r)
		}
	default:
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return s.fail(fmt.Errorf("%sread: %w", prefix(display), err))
	}
	return nil
}

// yaml bounds a YAML file that Helm's loader parses. Helm splits the file
// into documents and merges them (values.yaml) or keeps the first (the
// others), so every document is measured and the sum is bounded by
// ExpandedYAMLBytes; the sum over all such files of the package is bounded
// by ChartBytes, so the parsed package stays as bounded as the raw one.
func (s *scanner) yaml(display string, data []byte) error {
	data = bytes.TrimPrefix(data, utf8BOM)
	maxExpanded := s.lim.ExpandedYAMLBytes
	if len(data) > maxExpanded {
		// The parser's node tree costs many times the text; measure nothing
		// that is over the limit before any alias is counted.
		return limits.Exceeded(fmt.Sprintf("%s size", cut(display)), int64(len(data)), int64(maxExpanded), limits.FlagExpandedYAMLBytes)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n') // as Helm's LoadValues does before splitting
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var total int64
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: split YAML documents: %w", cut(display), err)
		}
		size, err := limits.ExpandedYAMLSize(doc, maxExpanded-int(total))
		if err != nil {
			return fmt.Errorf("%s: %w", cut(display), err)
		}
		if total += size; total > int64(maxExpanded) {
			return limits.Exceeded(fmt.Sprintf("%s after YAML alias expansion", cut(display)), -1, int64(maxExpanded), limits.FlagExpandedYAMLBytes)
		}
	}
	if s.yamlBytes += total; s.yamlBytes > s.lim.ChartBytes {
		return limits.Exceeded("YAML of the chart package after alias expansion (nested subcharts included)", -1, s.lim.ChartBytes, limits.FlagChartBytes)
	}
	return nil
}

// tooLarge is the error for a package whose content exceeds ChartBytes.
func (s *scanner) tooLarge() error {
	return limits.Exceeded("decompressed size of the chart package (nested subcharts included)", -1, s.lim.ChartBytes, limits.FlagChartBytes)
}

// fail returns the sticky limit error if there is one, else err: a limit
// hit deep inside a nested gzip stream surfaces as itself, not as whatever
// read error the stacked readers made of it.
func (s *scanner) fail(err error) error {
	if s.err != nil {
		return s.err
	}
	return err
}

// countedReader adds what it reads to its scanner's byte count and stops
// with the limit error once the count passes ChartBytes.
type countedReader struct {
	s *scanner
	r io.Reader
}

func (c *countedReader) Read(p []byte) (int, error) {
	if c.s.err != nil {
		return 0, c.s.err
	}
	if room := c.s.lim.ChartBytes - c.s.bytes + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the limit is enough to know
	}
	n, err := c.r.Read(p)
	c.s.bytes += int64(n)
	if c.s.bytes > c.s.lim.ChartBytes {
		c.s.err = c.s.tooLarge()
		return n, c.s.err
	}
	return n, err
}

// kind is what Helm's loader does with a file of a chart.
type kind int

const (
	plainFile     kind = iota // kept as bytes
	yamlFile                  // parsed as YAML
	nestedPackage             // a subchart package, decompressed in turn
)

// classify tells what Helm's loader (LoadFiles) does with the file at name,
// a slash-separated path inside a chart, following charts/<sub>/ down to
// the subchart that holds it.
func classify(name string) kind {
	for {
		rest, ok := strings.CutPrefix(name, "charts/")
		if !ok {
			break
		}
		if path.Ext(name) == ".prov" {
			return plainFile
		}
		sub, inner, deeper := strings.Cut(rest, "/")
		switch {
		case strings.IndexAny(sub, "_.") == 0:
			return plainFile // Helm skips these subcharts
		case !deeper && path.Ext(sub) == ".tgz":
			return nestedPackage
		case !deeper:
			return plainFile
		}
		name = inner
	}
	switch name {
	case "Chart.yaml", "values.yaml", "Chart.lock", "requirements.yaml", "requirements.lock":
		return yamlFile
	}
	return plainFile
}

// archivePath is the path Helm's archive loader gives a tar entry: the top
// directory dropped, backslashes of Windows-made archives turned into
// slashes, cleaned.
func archivePath(name string) string {
	delim := "/"
	if strings.ContainsRune(name, '\\') {
		delim = `\`
	}
	parts := strings.Split(name, delim)
	return path.Clean(strings.ReplaceAll(strings.Join(parts[1:], delim), delim, "/"))
}

// join names a path inside a nested package: "charts/a.tgz > values.yaml".
func join(where, name string) string {
	if where == "" {
		return name
	}
	return where + " > " + name
}

// prefix is where followed by ": ", or nothing for the package itself.
func prefix(where string) string {
	if where == "" {
		return ""
	}
	return cut(where) + ": "
}

// cut shortens a path for an error message; the path itself may be the
// over-long thing being reported.
func cut(s string) string {
	return limits.Message(s, 200)
}
