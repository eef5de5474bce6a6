package limits

import (
	"errors"
	"fmt"
	"io"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// ErrMultiDocument is wrapped when a text that must be one YAML document
// holds several: keeping only the first, as YAML decoders do, silently
// drops what the author wrote after `---`.
var ErrMultiDocument = errors.New("holds more than one YAML document")

// nodeOverhead is what one node costs beyond its scalar text once expanded
// and converted (quotes, separators, a map entry); it makes a bomb of empty
// values count too.
const nodeOverhead = 8

// CheckYAML parses text into YAML nodes without expanding aliases, refuses
// more than one document, and measures what the document becomes once every
// alias is expanded. It fails when that exceeds maxExpanded bytes, so that a
// small text whose anchors are referenced thousands of times (a "billion
// laughs") is refused in time proportional to the text, before any decoder
// expands it. A syntax error is returned as the parser reports it.
func CheckYAML(text []byte, maxExpanded int, flag string) error {
	dec := yamlv3.NewDecoder(strings.NewReader(string(text)))
	docs := 0
	for {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		docs++
		if docs > 1 {
			return fmt.Errorf("%w: use one mapping without '---' separators", ErrMultiDocument)
		}
		m := measurer{memo: map[*yamlv3.Node]int64{}, active: map[*yamlv3.Node]bool{}, limit: int64(maxExpanded)}
		size, err := m.size(&n)
		if err != nil {
			return err
		}
		if size > int64(maxExpanded) {
			return Exceeded("YAML after alias expansion", size, int64(maxExpanded), flag)
		}
	}
	return nil
}

type measurer struct {
	memo   map[*yamlv3.Node]int64
	active map[*yamlv3.Node]bool
	limit  int64
}

// size is the expanded size of n, saturating just above the limit so that
// sums cannot overflow; each node is measured once (memo), so the walk is
// linear in the text however many times an anchor is used.
func (m *measurer) size(n *yamlv3.Node) (int64, error) {
	if n == nil {
		return 0, nil
	}
	if s, ok := m.memo[n]; ok {
		return s, nil
	}
	if m.active[n] {
		return 0, errors.New("YAML alias refers to itself")
	}
	m.active[n] = true
	defer delete(m.active, n)
	var total int64 = nodeOverhead
	switch n.Kind {
	case yamlv3.AliasNode:
		s, err := m.size(n.Alias)
		if err != nil {
			return 0, err
		}
		total = s
	case yamlv3.ScalarNode:
		total += int64(len(n.Value))
	default:
		for _, c := range n.Content {
			s, err := m.size(c)
			if err != nil {
				return 0, err
			}
			total += s
			if total > m.limit {
				total = m.limit + 1
				break
			}
		}
	}
	m.memo[n] = total
	return total, nil
}
