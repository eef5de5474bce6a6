package render

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Document is one Hotplug read from a file, with its origin, so that
// errors can point at a file and line.
type Document struct {
	Hotplug *hotplugv1.Hotplug
	// File is the path the document was read from.
	File string
	// Line is the 1-based line of the file where the document starts.
	Line int
	// text is the document's own text; lines in it are counted from Line.
	text []byte
}

// ReadFiles reads every Hotplug in the files, in order. Documents of other
// kinds (a Cluster kept in the same file, say) are skipped; empty documents
// too. A document that is not valid YAML, or a Hotplug with a field hotplug
// does not know (a misspelt `namepsace`), is an error naming file and line.
func ReadFiles(paths []string) ([]Document, error) {
	var docs []Document
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		d, err := Read(bytes.NewReader(data), p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

// Read reads every Hotplug of a YAML stream; file names the stream in
// errors. See ReadFiles.
func Read(r io.Reader, file string) ([]Document, error) {
	parts, err := splitDocuments(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var docs []Document
	for _, p := range parts {
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(p.text, &tm); err != nil {
			return nil, fmt.Errorf("%s:%d: not a YAML object: %w", file, p.line+yamlLine(err), err)
		}
		if tm.Kind != "Hotplug" || !strings.HasPrefix(tm.APIVersion, hotplugv1.GroupVersion.Group+"/") {
			continue
		}
		hp := &hotplugv1.Hotplug{}
		if err := yaml.UnmarshalStrict(p.text, hp); err != nil {
			return nil, fmt.Errorf("%s:%d: Hotplug document: %w", file, p.line+yamlLine(err), err)
		}
		if hp.Name == "" {
			return nil, fmt.Errorf("%s:%d: Hotplug without metadata.name: name it common or after its cluster", file, p.line)
		}
		docs = append(docs, Document{Hotplug: hp, File: file, Line: p.line, text: p.text})
	}
	return docs, nil
}

// part is one YAML document's text and the file line it starts on.
type part struct {
	text []byte
	line int
}

// splitDocuments cuts a stream at `---` lines, keeping each document's
// starting line; documents holding only comments and blank lines are dropped.
func splitDocuments(r io.Reader) ([]part, error) {
	var parts []part
	var cur bytes.Buffer
	start, n, content := 1, 0, false
	flush := func() {
		if content {
			parts = append(parts, part{text: bytes.Clone(cur.Bytes()), line: start})
		}
		cur.Reset()
		content = false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "---\t") {
			flush()
			start = n + 1
			continue
		}
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			if !content {
				// Start at the first line with content so error lines
				// computed from the document's text stay right.
				start, content = n, true
				cur.Reset()
			}
		}
		if content {
			cur.WriteString(line)
			cur.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return parts, nil
}

// yamlLine returns the 0-based offset of the line a YAML error names inside
// its document (the parser counts from 1), or 0 when it names none.
func yamlLine(err error) int {
	var line int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		if _, scanErr := fmt.Sscanf(msg[i:], "line %d", &line); scanErr == nil && line > 0 {
			return line - 1
		}
	}
	return 0
}
