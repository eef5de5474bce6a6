package hub

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// Messages the roll-up writes for a component that is as configured in
// every cluster. It decides from the clusters' Ready conditions, never
// from their messages.
const (
	msgRunning  = hotplugv1.MessageRunning
	msgDisabled = hotplugv1.StatusDisabled
)

// componentReady reads a cluster's report of one component: ready is its
// Ready condition, running that it is ready because its release runs.
func componentReady(cs hotplugv1.ComponentStatus) (ready, running bool) {
	c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionTrue {
		return false, false
	}
	return true, c.Reason == hotplugv1.ReasonDeployed
}

// RollUp computes the status of `common` on the pivot from every cluster's
// report: running only when every cluster is running. The message keeps the
// original's JSON object of component → sentence; a component that is not
// well somewhere names those clusters, and a cluster that does not report
// at all appears under the key "cluster <name>". Every message is bounded
// (limits.Message): one cluster's at limits.MaxMessageBytes, a component's
// and a condition's at limits.MaxConditionBytes, so that the status stays
// writable however many clusters report however long errors.
func RollUp(clusters []clusterv1.Cluster, prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	type agg struct {
		running bool
		bad     []string
	}
	comps := map[string]*agg{}
	messages := map[string]string{}
	var notRunning []string
	worst := hotplugv1.PhaseRunning
	rank := map[string]int{hotplugv1.PhaseRunning: 0, hotplugv1.PhaseProgressing: 1, hotplugv1.PhaseFail: 2}
	raise := func(p string) {
		if rank[p] > rank[worst] {
			worst = p
		}
	}
	for _, c := range clusters {
		switch {
		case c.Status.State == clusterv1.ClusterAbnormal:
			messages["cluster "+c.Name] = limits.Message("abnormal: "+c.Status.Reason, limits.MaxMessageBytes)
			notRunning = append(notRunning, c.Name)
			raise(hotplugv1.PhaseFail)
			continue
		case c.Status.HotplugPhase == "":
			messages["cluster "+c.Name] = "waiting for the cluster's agent to report"
			notRunning = append(notRunning, c.Name)
			raise(hotplugv1.PhaseProgressing)
			continue
		case c.Status.HotplugPhase != hotplugv1.PhaseRunning:
			notRunning = append(notRunning, c.Name)
			raise(c.Status.HotplugPhase)
		}
		for _, cs := range c.Status.Components {
			a := comps[cs.Name]
			if a == nil {
				a = &agg{}
				comps[cs.Name] = a
			}
			switch ready, running := componentReady(cs); {
			case running:
				a.running = true
			case ready:
			default:
				a.bad = append(a.bad, limits.Message(c.Name+": "+cs.Message, limits.MaxMessageBytes))
			}
		}
	}
	var components []hotplugv1.ComponentStatus
	names := make([]string, 0, len(comps))
	for n := range comps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := comps[n]
		cs := hotplugv1.ComponentStatus{Name: n, Message: msgDisabled}
		status, reason := metav1.ConditionTrue, "AllClustersReady"
		switch {
		case len(a.bad) > 0:
			cs.Message, status, reason = joinBounded(a.bad, "; ", limits.MaxConditionBytes), metav1.ConditionFalse, "NotReadyInSomeClusters"
		case a.running:
			cs.Message = msgRunning
		}
		prevConds := []metav1.Condition(nil)
		for _, p := range prev.Components {
			if p.Name == n {
				prevConds = append(prevConds, p.Conditions...)
			}
		}
		cs.Conditions = prevConds
		meta.SetStatusCondition(&cs.Conditions, metav1.Condition{Type: hotplugv1.ConditionReady, Status: status, Reason: reason,
			Message: cs.Message, ObservedGeneration: generation, LastTransitionTime: now})
		components = append(components, cs)
		messages[n] = limits.Message(cs.Message, limits.MaxMessageBytes)
	}
	data, _ := json.Marshal(messages)
	st := hotplugv1.HotplugStatus{
		Phase: worst, Message: string(data), ObservedGeneration: generation, Components: components,
		Conditions: append([]metav1.Condition(nil), prev.Conditions...),
	}
	cond := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllClustersRunning",
		Message: fmt.Sprintf("all %d clusters are running", len(clusters)), ObservedGeneration: generation, LastTransitionTime: now}
	if len(notRunning) > 0 {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "ClustersNotRunning", joinBounded(notRunning, ", ", limits.MaxConditionBytes-len("not running: "))
		cond.Message = "not running: " + cond.Message
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	// kstatus' abnormal-true conditions follow the phase, so that
	// `kubectl wait` and kstatus-aware tools read common's health too.
	for typ, on := range map[string]bool{hotplugv1.ConditionReconciling: worst == hotplugv1.PhaseProgressing, hotplugv1.ConditionStalled: worst == hotplugv1.PhaseFail} {
		c := metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: cond.Reason, ObservedGeneration: generation, LastTransitionTime: now}
		if on {
			c.Status, c.Message = metav1.ConditionTrue, cond.Message
		}
		meta.SetStatusCondition(&st.Conditions, c)
	}
	return st
}

// joinBounded joins items with sep into at most n bytes: whole items while
// they fit, then how many were left out.
func joinBounded(items []string, sep string, n int) string {
	const reserve = 64 // room for the count of the rest
	var b strings.Builder
	for i, it := range items {
		add := len(it)
		if i > 0 {
			add += len(sep)
		}
		room := n - reserve
		if i == len(items)-1 {
			room = n
		}
		if b.Len()+add > room {
			if i > 0 {
				b.WriteString(sep)
			}
			fmt.Fprintf(&b, "and %d more", len(items)-i)
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(it)
	}
	return limits.Message(b.String(), n)
}

// Stale tells whether a cluster's agent has missed its heartbeat: it never
// reported within timeout of the Cluster's creation, or its last report is
// older than timeout. The reason says which.
func Stale(c *clusterv1.Cluster, timeout time.Duration, now time.Time) (bool, string) {
	if hb := c.Status.LastHeartbeat; hb != nil {
		if age := now.Sub(hb.Time); age > timeout {
			return true, fmt.Sprintf("hotplug agent has not reported since %s (timeout %s)", hb.UTC().Format(time.RFC3339), timeout)
		}
		return false, ""
	}
	if now.Sub(c.CreationTimestamp.Time) > timeout {
		return true, fmt.Sprintf("hotplug agent has never reported (cluster registered %s, timeout %s)", c.CreationTimestamp.UTC().Format(time.RFC3339), timeout)
	}
	return false, ""
}
