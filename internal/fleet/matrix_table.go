package fleet

import (
	"io"
	"strconv"
	"time"

	"github.com/kubecube-io/hotplug/internal/output"
)

// messageWidth keeps the matrix one line per row on a normal terminal;
// -o yaml|json carry the full message.
const messageWidth = 60

// WriteTable writes the matrix: CLUSTER, STATE, COMPONENT, ENABLED,
// READY/MESSAGE, CHART VERSION, REVISION; a cluster without components
// shows "-" there and, in the message column, its hotplug phase and last
// heartbeat (now is used to print the heartbeat's age).
func WriteTable(w io.Writer, st output.Styler, rows []Row, now time.Time) error {
	t := output.NewTable(w, st, "CLUSTER", "STATE", "COMPONENT", "ENABLED", "READY/MESSAGE", "CHART VERSION", "DIGEST", "REVISION")
	for _, r := range rows {
		state := output.C(orDash(r.State), output.Green)
		if r.State != "normal" {
			state.Color = output.Red
		}
		if r.Component == "" {
			msg := "no components reported"
			if r.LastHeartbeat != nil {
				msg += "; last report " + now.Sub(*r.LastHeartbeat).Round(time.Second).String() + " ago"
			}
			t.Row(output.Cell{Text: r.Cluster}, state, output.Cell{Text: "-"}, output.Cell{Text: "-"},
				output.C(msg, output.Yellow), output.Cell{Text: "-"}, output.Cell{Text: "-"}, output.Cell{Text: "-"})
			continue
		}
		ready := output.C("yes: "+r.Message, output.Green)
		if !r.Ready {
			ready = output.C("no: "+r.Message, output.Red)
		}
		ready.Text = output.Truncate(ready.Text, messageWidth)
		enabled := output.C("false", output.Faint)
		if r.Enabled {
			enabled = output.C("true", output.None)
		}
		rev := "-"
		if r.Revision > 0 {
			rev = strconv.Itoa(r.Revision)
		}
		t.Row(output.Cell{Text: r.Cluster}, state, output.Cell{Text: r.Component}, enabled, ready,
			output.Cell{Text: orDash(r.ChartVersion)}, output.Cell{Text: orDash(shortChartDigest(r.ChartDigest))}, output.Cell{Text: rev})
	}
	return t.Flush()
}

// shortChartDigest is a package digest cut as container tools show them
// (sha256: and 12 hex digits): enough to tell two digests of one version
// apart at a glance; -o yaml and json give the whole digest.
func shortChartDigest(d string) string {
	const n = len("sha256:") + 12
	if len(d) > n {
		return d[:n]
	}
	return d
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
