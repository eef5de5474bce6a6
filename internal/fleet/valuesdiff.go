package fleet

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"
)

// ValuesDiff returns the unified diff (3 lines of context) from values a to
// values b, both printed as YAML with sorted keys, under the file labels
// from and to; "" when they print the same.
func ValuesDiff(a, b map[string]any, from, to string) (string, error) {
	ya, err := valuesYAML(a)
	if err != nil {
		return "", err
	}
	yb, err := valuesYAML(b)
	if err != nil {
		return "", err
	}
	if ya == yb {
		return "", nil
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(ya), B: lines(yb),
		FromFile: from, ToFile: to, Context: 3,
	})
}

func valuesYAML(v map[string]any) (string, error) {
	if len(v) == 0 {
		// Marshal prints "{}"; an empty file diffs more readably.
		return "", nil
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("printing values as YAML: %w", err)
	}
	return string(b), nil
}

// lines splits YAML text into lines that keep their "\n"; unlike
// difflib.SplitLines it adds no empty line after the final newline, which
// would show as a spurious context line.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
