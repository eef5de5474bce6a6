package docs

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// Objects are the hotplug API objects of a file's YAML blocks.
type Objects struct {
	Hotplugs []located[*hotplugv1.Hotplug]
	Clusters []located[*clusterv1.Cluster]
	// Fragments counts the Hotplug spec fragments decoded.
	Fragments int
}

type located[T any] struct {
	Line  int
	Block int
	Obj   T
}

// yamlDoc is one document of a YAML block and its first line in the file.
type yamlDoc struct {
	line int
	text string
}

// splitYAML splits a block at lines that are "---".
func splitYAML(b Block) []yamlDoc {
	var out []yamlDoc
	cur := yamlDoc{line: b.Line + 1}
	var lines []string
	for i, l := range b.Body {
		if strings.TrimRight(l, " ") == "---" || strings.HasPrefix(l, "--- ") {
			cur.text = strings.Join(lines, "\n")
			out = append(out, cur)
			cur, lines = yamlDoc{line: b.Line + 2 + i}, nil
			continue
		}
		lines = append(lines, l)
	}
	cur.text = strings.Join(lines, "\n")
	return append(out, cur)
}

// DecodeYAML parses every document of a yaml block (strictly: duplicate
// keys fail) and decodes those of a hotplug API kind strictly into their
// type (unknown fields fail), as is a fragment holding only a Hotplug's
// spec (isSpecFragment); block is the block's index, for grouping.
func DecodeYAML(b Block, block int, into *Objects) []Finding {
	var out []Finding
	for _, d := range splitYAML(b) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		var generic map[string]any
		if err := yaml.UnmarshalStrict([]byte(d.text), &generic); err != nil {
			out = append(out, Finding{b.File, d.line, "YAML does not parse: " + err.Error()})
			continue
		}
		_ = yaml.Unmarshal([]byte(d.text), &head)
		group, _, _ := strings.Cut(head.APIVersion, "/")
		var err error
		switch {
		case head.APIVersion == hotplugv1.GroupVersion.String() && head.Kind == "Hotplug":
			hp := &hotplugv1.Hotplug{}
			if err = decodeStrict(d.text, hp); err == nil {
				into.Hotplugs = append(into.Hotplugs, located[*hotplugv1.Hotplug]{d.line, block, hp})
			}
		case head.APIVersion == clusterv1.GroupVersion.String() && head.Kind == "Cluster":
			c := &clusterv1.Cluster{}
			if err = decodeStrict(d.text, c); err == nil {
				into.Clusters = append(into.Clusters, located[*clusterv1.Cluster]{d.line, block, c})
			}
		case head.APIVersion == "" && head.Kind == "" && isSpecFragment(generic):
			err = decodeStrict(d.text, &hotplugv1.Hotplug{})
			into.Fragments++
		case group == hotplugv1.GroupVersion.Group || group == clusterv1.GroupVersion.Group:
			err = errors.New("unknown hotplug API type " + head.APIVersion + " " + head.Kind)
		}
		if err != nil {
			out = append(out, Finding{b.File, d.line, cmp.Or(head.Kind, "Hotplug spec") + ": " + err.Error()})
		}
	}
	return out
}

// isSpecFragment tells a Hotplug spec shown alone (only a top-level spec,
// holding component or rollout) from other YAML, so that its fields are
// checked too.
func isSpecFragment(doc map[string]any) bool {
	spec, ok := doc["spec"].(map[string]any)
	if !ok || len(doc) != 1 {
		return false
	}
	_, c := spec["component"]
	_, r := spec["rollout"]
	return c || r
}

// decodeStrict decodes YAML into obj as the API server does with
// fieldValidation=Strict: field names are case-sensitive, and unknown or
// duplicate fields fail.
func decodeStrict(text string, obj any) error {
	data, err := yaml.YAMLToJSONStrict([]byte(text))
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(data, obj, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// Validate validates each Hotplug of a file as the hub's admission webhook
// does (hub.Validate with the default limits). Its fleet: the clusters named
// by the file's Cluster objects and cluster Hotplugs; `common` and the
// clusters' own Hotplugs from the same block, else the file's only one of
// that name.
func (o Objects) Validate(ctx context.Context, file string) []Finding {
	var clusters []string
	for _, c := range o.Clusters {
		clusters = append(clusters, c.Obj.Name)
	}
	for _, h := range o.Hotplugs {
		if h.Obj.Name != hotplugv1.CommonName {
			clusters = append(clusters, h.Obj.Name)
		}
	}
	slices.Sort(clusters)
	clusters = slices.Compact(clusters)
	var out []Finding
	for _, h := range o.Hotplugs {
		fleet := hub.Fleet{Clusters: clusters, Own: map[string]*hotplugv1.Hotplug{}, Workers: 1}
		for _, name := range clusters {
			fleet.Own[name] = o.pick(name, h.Block)
		}
		fleet.Common = o.pick(hotplugv1.CommonName, h.Block)
		if err := hub.Validate(ctx, limits.Default(), h.Obj, fleet); err != nil {
			out = append(out, Finding{file, h.Line, "the webhook would refuse it: " + err.Error()})
		}
	}
	return out
}

// pick returns the Hotplug name of block, else the file's only one.
func (o Objects) pick(name string, block int) *hotplugv1.Hotplug {
	var found []*hotplugv1.Hotplug
	for _, h := range o.Hotplugs {
		if h.Obj.Name != name {
			continue
		}
		if h.Block == block {
			return h.Obj
		}
		found = append(found, h.Obj)
	}
	if len(found) == 1 {
		return found[0]
	}
	return nil
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
