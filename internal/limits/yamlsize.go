package limits

import (
	"errors"
	"fmt"
	"io"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// ExpandedYAMLSize returns what the one YAML document in doc becomes once
// every alias is expanded, measured as CheckYAML measures it; past maxExpanded
// the measure stops early, so a larger result only means "too large". It is for callers that split a YAML stream themselves
// and bound the sum of its documents (Helm merges the documents of a
// chart's values.yaml, so refusing several documents there would refuse
// valid charts). More than one document in doc is ErrMultiDocument; an
// empty doc is 0; a syntax error is returned as the parser reports it.
func ExpandedYAMLSize(doc []byte, maxExpanded int) (int64, error) {
	dec := yamlv3.NewDecoder(strings.NewReader(string(doc)))
	var total int64
	for docs := 0; ; docs++ {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return 0, err
		}
		if docs > 0 {
			return 0, fmt.Errorf("%w: split it before measuring", ErrMultiDocument)
		}
		m := measurer{memo: map[*yamlv3.Node]int64{}, active: map[*yamlv3.Node]bool{}, limit: int64(maxExpanded)}
		if total, err = m.size(&n); err != nil {
			return 0, err
		}
	}
}
