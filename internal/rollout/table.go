package rollout

import (
	"fmt"
	"io"
	"strconv"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/output"
)

// reasonWidth keeps a row on one line of a normal terminal; -o yaml|json
// carry the full reason.
const reasonWidth = 70

var stateColors = map[hotplugv1.ClusterRolloutState]output.Color{
	hotplugv1.ClusterRolloutUpdated:     output.Green,
	hotplugv1.ClusterRolloutProgressing: output.Yellow,
	hotplugv1.ClusterRolloutFailed:      output.Red,
	hotplugv1.ClusterRolloutPending:     output.Faint,
}

// WriteStatus writes a rollout status for people: a header line with the
// phase, the complete and the target revision and the message, then one
// row per cluster: CLUSTER, REVISION (assigned), STATE, SINCE (age at
// now), REASON.
func WriteStatus(w io.Writer, st output.Styler, rs *hotplugv1.RolloutStatus, now time.Time) error {
	phase := output.C(string(rs.Phase), output.Yellow)
	switch rs.Phase {
	case hotplugv1.RolloutComplete:
		phase.Color = output.Green
	case hotplugv1.RolloutPaused:
		phase.Color = output.Red
	}
	if _, err := fmt.Fprintf(w, "phase: %s  revision: %d  target: %d  %s\n", st.Paint(phase.Color, phase.Text),
		rs.Revision, rs.TargetRevision, rs.Message); err != nil {
		return err
	}
	t := output.NewTable(w, st, "CLUSTER", "REVISION", "STATE", "SINCE", "REASON")
	for _, c := range rs.Clusters {
		since := "-"
		if c.Since != nil {
			since = now.Sub(c.Since.Time).Round(time.Second).String()
		}
		reason := c.Reason
		if reason == "" {
			reason = "-"
		}
		t.Row(output.Cell{Text: c.Name}, output.Cell{Text: strconv.FormatInt(c.Revision, 10)},
			output.C(string(c.State), stateColors[c.State]), output.Cell{Text: since},
			output.Cell{Text: output.Truncate(reason, reasonWidth)})
	}
	return t.Flush()
}
