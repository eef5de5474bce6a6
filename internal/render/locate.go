package render

import (
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// fieldLine returns the file line of field of the component named
// component in d (for env, the line inside the field's text is added, so
// the result points at the faulty line itself), or d.Line when the field
// cannot be found. It never fails: a location is a courtesy.
func (d *Document) fieldLine(component, field string, lineInField int) int {
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(d.text, &root); err != nil || len(root.Content) == 0 {
		return d.Line
	}
	comps := lookup(lookup(root.Content[0], "spec"), "component")
	if comps == nil || comps.Kind != yamlv3.SequenceNode {
		return d.Line
	}
	for _, c := range comps.Content {
		if name := lookup(c, "name"); name == nil || name.Value != component {
			continue
		}
		// A field may be named by its path (spec.component[x].dependsOn);
		// its key in the element is the last step.
		key, val := lookupKey(c, field[strings.LastIndexByte(field, '.')+1:])
		if k, v := lookupPath(c, field); k != nil {
			key, val = k, v
		}
		if key == nil {
			key, val = lookupKey(c, "name")
		}
		line := key.Line
		if lineInField > 0 {
			if val.Style&(yamlv3.LiteralStyle|yamlv3.FoldedStyle) != 0 {
				// A block scalar's text starts on the line after its key.
				line = key.Line + lineInField
			} else {
				line = val.Line + lineInField - 1
			}
		}
		return d.Line + line - 1
	}
	return d.Line
}

// lookupPath follows a field path below the component element
// (spec.component[x].chart.verify.provider) through nested mappings and
// returns the deepest key it reaches past the first step, or nil: a path
// with list indexes stops at them.
func lookupPath(c *yamlv3.Node, field string) (k, v *yamlv3.Node) {
	_, rest, ok := strings.Cut(field, "].")
	if !ok || !strings.HasPrefix(field, "spec.component[") {
		return nil, nil
	}
	steps := strings.Split(rest, ".")
	if len(steps) < 2 {
		return nil, nil
	}
	n := c
	for _, step := range steps {
		sk, sv := lookupKey(n, step)
		if sk == nil {
			break
		}
		k, v, n = sk, sv, sv
	}
	return k, v
}

func lookup(n *yamlv3.Node, key string) *yamlv3.Node {
	_, v := lookupKey(n, key)
	return v
}

func lookupKey(n *yamlv3.Node, key string) (k, v *yamlv3.Node) {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}
