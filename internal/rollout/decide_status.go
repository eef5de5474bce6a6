package rollout

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// finish builds the status, the condition, the assignments and the next
// time to look from the decided states.
func (d *decider) finish() Decision {
	st := &hotplugv1.RolloutStatus{Revision: d.complete, TargetRevision: d.target, ObservedResume: d.ask.Observed, ResumedAt: d.ask.At}
	assign := map[string]int64{}
	var progressing, abnormal []string
	var next time.Time
	wake := func(t time.Time) {
		if t.After(d.now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for i, c := range d.clusters {
		cs := d.states[i]
		assign[c.Name] = d.assigned[i].Revision
		switch cs.State {
		case hotplugv1.ClusterRolloutUpdated:
			st.UpdatedClusters = append(st.UpdatedClusters, c.Name)
		case hotplugv1.ClusterRolloutPending:
			st.PendingClusters = append(st.PendingClusters, c.Name)
			cs.Reason = ""
			if c.Abnormal {
				cs.Reason = limits.Message("cluster abnormal: "+c.AbnormalReason, limits.MaxMessageBytes)
				abnormal = append(abnormal, c.Name)
			}
		case hotplugv1.ClusterRolloutFailed:
			st.FailedClusters = append(st.FailedClusters, hotplugv1.ClusterFailure{Name: c.Name, Reason: cs.Reason})
		case hotplugv1.ClusterRolloutProgressing:
			progressing = append(progressing, c.Name)
			wake(cs.Since.Add(d.settings.deadline))
			if cs.HealthySince != nil {
				wake(cs.HealthySince.Add(d.settings.minHealthy))
			}
		}
		st.Clusters = append(st.Clusters, cs)
	}
	switch {
	case len(st.UpdatedClusters) == len(d.clusters) && d.invalid == "":
		st.Phase, st.Revision = hotplugv1.RolloutComplete, d.target
		st.Message = completeMessage(d.target, len(d.clusters))
	case d.paused():
		st.Phase = hotplugv1.RolloutPaused
		st.Message = d.pausedMessage(st)
	default:
		st.Phase = hotplugv1.RolloutProgressing
		st.Message = fmt.Sprintf("revision %d: %d of %d clusters updated, progressing: %s", d.target,
			len(st.UpdatedClusters), len(d.clusters), orNone(progressing))
		if len(abnormal) > 0 {
			st.Message += "; abnormal clusters wait: " + strings.Join(abnormal, ", ")
		}
	}
	st.Message = limits.Message(st.Message, limits.MaxMessageBytes)
	dec := Decision{Status: st, Condition: condition(st, d.in.Generation, d.stamp), Assign: assign}
	if !next.IsZero() {
		// Stored times have whole seconds: look again just after.
		dec.After = next.Sub(d.now) + time.Second
	}
	return dec
}

func (d *decider) pausedMessage(st *hotplugv1.RolloutStatus) string {
	switch {
	case d.invalid != "":
		return "paused: " + d.invalid
	case len(st.FailedClusters) > 0:
		names := make([]string, len(st.FailedClusters))
		for i, f := range st.FailedClusters {
			names[i] = f.Name
		}
		return fmt.Sprintf("paused: revision %d failed in %s; fix common, `hotplug rollout undo` or `hotplug rollout resume`",
			d.target, strings.Join(names, ", "))
	default:
		return fmt.Sprintf("paused by the annotation %s at %d of %d clusters updated", hotplugv1.RolloutPausedAnnotation,
			len(st.UpdatedClusters), len(d.clusters))
	}
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func completeMessage(rev int64, clusters int) string {
	return fmt.Sprintf("revision %d runs in all %d clusters", rev, clusters)
}

// condition is the RolloutComplete condition for st.
func condition(st *hotplugv1.RolloutStatus, generation int64, now metav1.Time) *metav1.Condition {
	c := &metav1.Condition{Type: hotplugv1.ConditionRolloutComplete, Status: metav1.ConditionFalse,
		Reason: hotplugv1.ReasonRolloutProgressing, Message: st.Message, ObservedGeneration: generation, LastTransitionTime: now}
	switch {
	case st.Phase == hotplugv1.RolloutComplete:
		c.Status, c.Reason = metav1.ConditionTrue, hotplugv1.ReasonRolloutComplete
	case len(st.FailedClusters) > 0:
		c.Reason = hotplugv1.ReasonRolloutFailed
	case st.Phase == hotplugv1.RolloutPaused:
		c.Reason = hotplugv1.ReasonRolloutPaused
	}
	return c
}

// failureReason says why cluster c is not done with target within
// deadline, what matters first (a table cuts it): its abnormal state, the
// revision it still runs, or its components that are not Ready, else its
// Ready condition (bounded; the agent's messages carry no values).
func failureReason(c Cluster, target int64, deadline time.Duration) string {
	var why string
	switch {
	case c.Abnormal:
		why = "cluster abnormal: " + c.AbnormalReason
	case c.Revision != target:
		why = fmt.Sprintf("still runs revision %d", c.Revision)
	case len(c.NotReady) > 0:
		why = strings.Join(c.NotReady, "; ")
	case c.Ready == nil:
		why = "no Ready condition reported"
	default:
		why = fmt.Sprintf("Ready=%s %s: %s", c.Ready.Status, c.Ready.Reason, c.Ready.Message)
	}
	suffix := fmt.Sprintf(" (revision %d not done within %s)", target, deadline)
	return limits.Message(why, limits.MaxMessageBytes-len(suffix)) + suffix
}
