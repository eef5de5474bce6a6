package fleet

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubecube-io/hotplug/internal/output"
)

// WriteChanges writes the preview for a human: one row per component
// (COMPONENT, NAMESPACE, ACTION, DETAIL), then each upgrade's values diff,
// then a one-line summary.
func WriteChanges(w io.Writer, st output.Styler, changes []Change) error {
	t := output.NewTable(w, st, "COMPONENT", "NAMESPACE", "ACTION", "DETAIL")
	pending := 0
	for _, c := range changes {
		ns := orDash(c.Namespace)
		switch {
		case c.Error != "":
			t.Row(output.Cell{Text: c.Component}, output.Cell{Text: ns}, output.C("blocked", output.Red), output.C(c.Error, output.Red))
		case !c.Pending():
			t.Row(output.Cell{Text: c.Component}, output.Cell{Text: ns}, output.C("nothing", output.Faint), output.Cell{Text: upToDate(c)})
		default:
			pending++
			var actions, reasons []string
			for _, s := range c.Steps {
				actions = append(actions, s.Action)
				reasons = append(reasons, s.Reason)
				ns = s.Namespace
			}
			detail := strings.Join(reasons, "; ")
			if c.Deployed != "" && c.Desired != "" && c.Deployed != c.Desired {
				detail += fmt.Sprintf(" (%s -> %s)", c.Deployed, c.Desired)
			}
			t.Row(output.Cell{Text: c.Component}, output.Cell{Text: ns}, output.C(strings.Join(actions, ", "), actionColor(c)), output.Cell{Text: detail})
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, c := range changes {
		if c.ValuesDiff == "" {
			continue
		}
		fmt.Fprintln(w)
		for _, line := range strings.SplitAfter(c.ValuesDiff, "\n") {
			col := output.None
			switch {
			case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
			case strings.HasPrefix(line, "+"):
				col = output.Green
			case strings.HasPrefix(line, "-"):
				col = output.Red
			case strings.HasPrefix(line, "@@"):
				col = output.Cyan
			}
			fmt.Fprint(w, st.Paint(col, strings.TrimSuffix(line, "\n")))
			if strings.HasSuffix(line, "\n") {
				fmt.Fprintln(w)
			}
		}
	}
	fmt.Fprintln(w)
	if pending == 0 {
		_, err := fmt.Fprintln(w, "No changes: the cluster's releases match its configuration.")
		return err
	}
	_, err := fmt.Fprintf(w, "%d component(s) would change when the agent next reconciles.\n", pending)
	return err
}

func upToDate(c Change) string {
	switch {
	case c.Revision > 0:
		return fmt.Sprintf("up to date (%s, revision %d)", c.Deployed, c.Revision)
	case c.Namespace == "":
		return "not configured, no release"
	default:
		return "no release wanted, none found"
	}
}

func actionColor(c Change) output.Color {
	for _, s := range c.Steps {
		if s.Action == "uninstall" {
			return output.Red
		}
	}
	return output.Yellow
}
