package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// InventoryDependsOnAnnotation is the annotation of the inventory ConfigMap
// that records the effective dependsOn of the components it manages, as a
// JSON object from component name to a sorted list of names:
// `{"kubecube-thanos":["kubecube-monitoring"]}`.
//
// An annotation, not a data key: the ConfigMap's data maps component names
// to release namespaces, and an agent of an earlier version reads every data
// key as a component (it would try to reconcile a component named after the
// key). An annotation cannot collide with a component name, is ignored by
// such an agent and kept when it rewrites the data; an inventory without it
// (written before) simply records no dependsOn.
const InventoryDependsOnAnnotation = "hotplug.kubecube.io/depends-on"

// Bounds of one record, the API's own (ComponentSpec.Name, .DependsOn).
const (
	maxComponentNameBytes = 53
	maxDependsOnItems     = 32
)

// errDependsOnRecord is wrapped by every refusal of a recorded dependsOn.
var errDependsOnRecord = errors.New("malformed dependsOn record")

// encodeDependsOn returns the annotation value recording deps for the
// components of managed (the inventory's entries), sorted, empty lists
// left out; "" when there is nothing to record. It refuses a value larger
// than limits.MaxInventoryDependsOnBytes, which decodeDependsOn would
// refuse in turn.
func encodeDependsOn(managed map[string]string, deps map[string][]string) (string, error) {
	out := map[string][]string{}
	for name, list := range deps {
		if _, ok := managed[name]; ok && len(list) > 0 {
			out[name] = normalDependsOn(list)
		}
	}
	if len(out) == 0 {
		return "", nil
	}
	b, err := json.Marshal(out) // map keys come out sorted
	if err != nil {
		return "", fmt.Errorf("encoding dependsOn: %w", err)
	}
	if len(b) > limits.MaxInventoryDependsOnBytes {
		return "", fmt.Errorf("dependsOn of %d components is %d bytes, more than %d: %w",
			len(out), len(b), limits.MaxInventoryDependsOnBytes, limits.ErrExceeded)
	}
	return string(b), nil
}

// decodeDependsOn reads an annotation value written by encodeDependsOn.
// It reads at most limits.MaxInventoryDependsOnBytes and accepts only an
// object of valid component names to lists of at most 32 valid names; any
// other value is refused whole (an error wrapping errDependsOnRecord, never
// quoting the value), so that a hand edit never yields half an ordering.
// "" decodes to an empty map.
func decodeDependsOn(s string) (map[string][]string, error) {
	out := map[string][]string{}
	if s == "" {
		return out, nil
	}
	if len(s) > limits.MaxInventoryDependsOnBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d: %w",
			errDependsOnRecord, len(s), limits.MaxInventoryDependsOnBytes, limits.ErrExceeded)
	}
	var raw map[string][]string
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object of name lists: %s", errDependsOnRecord, limits.Message(err.Error(), 200))
	}
	if dec.More() || raw == nil {
		return nil, fmt.Errorf("%w: not a single JSON object", errDependsOnRecord)
	}
	for name, list := range raw {
		if err := validRecordName(name); err != nil {
			return nil, fmt.Errorf("%w: component: %w", errDependsOnRecord, err)
		}
		if len(list) > maxDependsOnItems {
			return nil, fmt.Errorf("%w: component %q: %d names, more than %d", errDependsOnRecord, name, len(list), maxDependsOnItems)
		}
		for _, dep := range list {
			if err := validRecordName(dep); err != nil {
				return nil, fmt.Errorf("%w: component %q: dependsOn: %w", errDependsOnRecord, name, err)
			}
		}
		if len(list) > 0 {
			out[name] = normalDependsOn(list)
		}
	}
	return out, nil
}

// validRecordName refuses what the API would refuse as a component name.
// The error never quotes the name: a refused one may be anything.
func validRecordName(n string) error {
	if len(n) > maxComponentNameBytes {
		return fmt.Errorf("a name of %d bytes, more than %d", len(n), maxComponentNameBytes)
	}
	if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
		return errors.New("a name that is not a DNS label")
	}
	return nil
}

// normalDependsOn is list sorted without duplicates, in a new slice: the
// order of dependsOn carries no meaning, so a reordering is no change.
func normalDependsOn(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}
