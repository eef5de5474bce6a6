package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kubecube-io/hotplug/internal/output"
)

// summaryWidth caps the VALUES column so one component stays one line.
const summaryWidth = 100

// WriteTable writes one row per component: name, enabled, namespace,
// package and a one-line summary of the values (leaf paths with their
// values; -o yaml shows them in full).
func (v View) WriteTable(w io.Writer, st output.Styler) error {
	t := output.NewTable(w, st, "COMPONENT", "ENABLED", "NAMESPACE", "PACKAGE", "VALUES")
	for _, c := range v.Components {
		enabled := output.C("false", output.Faint)
		if c.Enabled {
			enabled = output.C("true", output.Green)
		}
		pkg := c.PkgName
		switch {
		case c.Chart != nil:
			pkg = c.Chart.Repository + "/" + c.Chart.Name + "@" + c.Chart.Version
		case pkg == "":
			pkg = "(feature switch)"
		}
		t.Row(output.Cell{Text: c.Name}, enabled, output.Cell{Text: c.Namespace}, output.Cell{Text: pkg},
			output.Cell{Text: output.Truncate(Summary(c.Values), summaryWidth)})
	}
	for _, p := range v.Problems {
		t.Row(output.Cell{Text: p.Component}, output.C("error", output.Red), output.Cell{Text: "-"}, output.Cell{Text: "-"},
			output.C("see "+p.Location, output.Red))
	}
	return t.Flush()
}

// Summary renders values as `path=value` pairs, sorted, comma-separated;
// lists count as one value shown in flow YAML. An empty map is "-".
func Summary(values map[string]any) string {
	var pairs []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			pairs = append(pairs, prefix+"="+scalar(v))
			return
		}
		for k, child := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, child)
		}
	}
	for k, v := range values {
		walk(k, v)
	}
	if len(pairs) == 0 {
		return "-"
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ", ")
}

// scalar prints a leaf compactly: strings bare, lists by their size.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case map[string]any:
		return "{}"
	case []any:
		// A list is summarised by its size: its items are maps more often
		// than not and would not fit on one line.
		if len(x) == 1 {
			return "[1 item]"
		}
		return fmt.Sprintf("[%d items]", len(x))
	default:
		return fmt.Sprint(x)
	}
}
