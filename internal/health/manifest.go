package health

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Manifest bounds. A release manifest is what Helm rendered from a chart
// that already passed hotplug's chart limits; these bounds only keep a
// corrupt or hostile stored release from costing unbounded memory or time.
const (
	// MaxManifestBytes bounds the manifest text.
	MaxManifestBytes = 64 << 20
	// MaxObjects bounds how many objects one manifest may name.
	MaxObjects = 10000
)

// HookAnnotation marks a Helm hook; hooks are not part of what runs.
const HookAnnotation = "helm.sh/hook"

// header is the part of an object that naming it needs.
type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name         string            `yaml:"name"`
		GenerateName string            `yaml:"generateName"`
		Namespace    string            `yaml:"namespace"`
		Annotations  map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Items []header `yaml:"items"`
}

// Objects returns the objects that a release's manifest (Helm's rendered,
// multi-document YAML) creates, in kind/namespace/name order without
// duplicates. Empty documents, Helm hooks and objects named only by
// generateName are skipped; the items of a List are objects too. Namespace is
// as written (empty when the manifest leaves it to the release namespace);
// Checker.Resolve completes it. A document without apiVersion, kind or name,
// a syntax error, or a manifest beyond MaxManifestBytes, MaxObjects or
// limits.DefaultExpandedYAMLBytes per document after alias expansion is an
// error naming the document and its template.
func Objects(manifest string) ([]ObjectRef, error) {
	if len(manifest) > MaxManifestBytes {
		return nil, fmt.Errorf("release manifest is %d bytes, more than %d: %w", len(manifest), MaxManifestBytes, limits.ErrExceeded)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	seen := map[ObjectRef]bool{}
	var out []ObjectRef
	add := func(h *header) {
		ref := ObjectRef{GroupVersionKind: schema.FromAPIVersionAndKind(h.APIVersion, h.Kind), Namespace: h.Metadata.Namespace, Name: h.Metadata.Name}
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("release manifest, document %d: %w", i, err)
		}
		h, err := decodeHeader(doc)
		if err != nil {
			return nil, fmt.Errorf("release manifest, document %d%s: %w", i, source(doc), err)
		}
		if h == nil {
			continue
		}
		if isList(h) {
			for j := range h.Items {
				item := &h.Items[j]
				if keep, err := check(item); err != nil {
					return nil, fmt.Errorf("release manifest, document %d%s, item %d: %w", i, source(doc), j+1, err)
				} else if keep {
					add(item)
				}
			}
		} else if keep, err := check(h); err != nil {
			return nil, fmt.Errorf("release manifest, document %d%s: %w", i, source(doc), err)
		} else if keep {
			add(h)
		}
		if len(out) > MaxObjects {
			return nil, fmt.Errorf("release manifest names more than %d objects: %w", MaxObjects, limits.ErrExceeded)
		}
	}
	sortRefs(out)
	return out, nil
}

// decodeHeader decodes one document, or returns nil for an empty one. A
// document with anchors is measured before it is expanded.
func decodeHeader(doc []byte) (*header, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil
	}
	if bytes.ContainsAny(doc, "&*") {
		size, err := limits.ExpandedYAMLSize(doc, limits.DefaultExpandedYAMLBytes)
		if err != nil {
			return nil, err
		}
		if size > limits.DefaultExpandedYAMLBytes {
			return nil, fmt.Errorf("document after alias expansion is more than %d bytes: %w", limits.DefaultExpandedYAMLBytes, limits.ErrExceeded)
		}
	}
	var h header
	if err := yamlv3.Unmarshal(doc, &h); err != nil {
		return nil, err
	}
	if h.APIVersion == "" && h.Kind == "" && h.Metadata.Name == "" && h.Metadata.GenerateName == "" && len(h.Items) == 0 {
		return nil, nil // only comments, or null
	}
	return &h, nil
}

// isList reports whether h is a List whose items are the objects.
func isList(h *header) bool {
	return strings.HasSuffix(h.Kind, "List") && h.Metadata.Name == "" && h.Items != nil
}

// check says whether h names an object that runs (not a hook, not named
// only by generateName), or why it names none.
func check(h *header) (bool, error) {
	switch {
	case h.Metadata.Annotations[HookAnnotation] != "":
		return false, nil
	case h.APIVersion == "":
		return false, errors.New("object has no apiVersion")
	case h.Kind == "":
		return false, errors.New("object has no kind")
	case h.Metadata.Name == "" && h.Metadata.GenerateName != "":
		return false, nil
	case h.Metadata.Name == "":
		return false, fmt.Errorf("%s has no metadata.name", h.Kind)
	}
	return true, nil
}

// source returns " (template path)" from Helm's "# Source: path" comment at
// the top of a document, or "".
func source(doc []byte) string {
	for line := range bytes.Lines(doc) {
		line = bytes.TrimSpace(line)
		if rest, ok := bytes.CutPrefix(line, []byte("# Source: ")); ok {
			return " (" + limits.Message(string(rest), 256) + ")"
		}
		if len(line) > 0 && line[0] != '#' {
			return ""
		}
	}
	return ""
}
