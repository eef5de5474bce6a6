package agent

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// ConditionPivotConnected, in a member, tells whether the pivot answers.
const ConditionPivotConnected = "PivotConnected"

type health int

const (
	healthReady health = iota
	healthProgressing
	healthFailed
)

// ComputeStatus is the one place that turns the effective configuration and
// the agent's outcomes into a Hotplug status. prev supplies the previous
// conditions so that transition times only move on a real change; now
// stamps new transitions.
func ComputeStatus(eff merge.Result, outs map[string]Outcome, prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	rows := newStatusRows(prev, generation, now)
	for _, e := range eff.Errors {
		rows.add(hotplugv1.ComponentStatus{Name: e.Component, Message: e.Error()}, healthFailed, hotplugv1.ReasonInvalidConfig, true)
	}
	for i := range eff.Components {
		c := &eff.Components[i]
		cs, h, reason := componentStatus(c, outs[c.Name])
		rows.add(cs, h, reason, c.HasPackage())
	}
	configured := configuredNames(eff)
	for name, o := range outs {
		// Components no longer configured stay visible until their release is gone.
		if configured[name] || (o.Release == nil && o.InFlight == "" && o.ActionErr == nil) {
			continue
		}
		cs, h, reason := removedStatus(name, o)
		rows.add(cs, h, reason, true)
	}
	return objectStatus(rows.fitted(configured), rows.messages, rows.worst, prev.Conditions, generation, now)
}

// statusRows gathers the components' statuses, their messages for the
// status' JSON message and the worst health among them.
type statusRows struct {
	prevByName map[string]hotplugv1.ComponentStatus
	generation int64
	now        metav1.Time
	comps      []hotplugv1.ComponentStatus
	messages   map[string]string
	worst      health
}

func newStatusRows(prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) *statusRows {
	rows := &statusRows{prevByName: map[string]hotplugv1.ComponentStatus{}, generation: generation, now: now, messages: map[string]string{}, worst: healthReady}
	for _, c := range prev.Components {
		rows.prevByName[c.Name] = c
	}
	return rows
}

// add bounds cs's message, sets its conditions from h and reason (keeping
// the previous transition times) and adds it; inMessage puts its message
// into the status' JSON message.
func (s *statusRows) add(cs hotplugv1.ComponentStatus, h health, reason string, inMessage bool) {
	// Every message is bounded: Helm's errors can be long, and one status
	// (and the pivot's roll-up) holds one per component.
	cs.Message = message(cs.Message)
	status := metav1.ConditionFalse
	if h == healthReady {
		status = metav1.ConditionTrue
	}
	cs.Conditions = append([]metav1.Condition(nil), s.prevByName[cs.Name].Conditions...)
	setCondition(&cs.Conditions, metav1.Condition{Type: hotplugv1.ConditionReady, Status: status, Reason: reason, Message: cs.Message}, s.generation, s.now)
	componentKstatus(&cs.Conditions, h, reason, cs.Message, s.generation, s.now)
	s.comps = append(s.comps, cs)
	if inMessage {
		s.messages[cs.Name] = cs.Message
	}
	s.worst = max(s.worst, h)
}

// fitted returns the components sorted by name and trimmed to the CRD's
// limits (limits.FitStatus), configured ones first.
func (s *statusRows) fitted(configured map[string]bool) []hotplugv1.ComponentStatus {
	sort.Slice(s.comps, func(i, j int) bool { return s.comps[i].Name < s.comps[j].Name })
	fit := hotplugv1.HotplugStatus{Components: s.comps}
	limits.FitStatus(&fit, func(name string) bool { return configured[name] })
	return fit.Components
}

// configuredNames are the components the configuration names, good or
// failing.
func configuredNames(eff merge.Result) map[string]bool {
	configured := map[string]bool{}
	for _, c := range eff.Components {
		configured[c.Name] = true
	}
	for _, e := range eff.Errors {
		configured[e.Component] = true
	}
	return configured
}

// removedStatus classifies a component no longer configured whose release
// is not gone yet.
func removedStatus(name string, o Outcome) (hotplugv1.ComponentStatus, health, string) {
	cs := hotplugv1.ComponentStatus{Name: name, Message: "removed from the configuration; uninstalling"}
	h := healthProgressing
	if o.Held != "" {
		cs.Message = "removed from the configuration; " + o.Held
	}
	if o.ActionErr != nil {
		cs.Message, h = fmt.Sprintf("helm %s failed: %v", o.FailedAction, o.ActionErr), healthFailed
	}
	reason := reasonFor(h, hotplugv1.ReasonActionFailed)
	if o.Blocked != "" && o.ActionErr == nil {
		cs.Message, reason = "removed from the configuration; "+o.Blocked, hotplugv1.ReasonDependencyNotReady
	}
	return cs, h, reason
}

// objectStatus is the Hotplug's own status around its components: the
// phase and the Ready, Reconciling and Stalled conditions of the worst
// component, and the JSON message.
func objectStatus(comps []hotplugv1.ComponentStatus, messages map[string]string, worst health, prev []metav1.Condition, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	st := hotplugv1.HotplugStatus{
		Phase:              map[health]string{healthReady: hotplugv1.PhaseRunning, healthProgressing: hotplugv1.PhaseProgressing, healthFailed: hotplugv1.PhaseFail}[worst],
		Message:            encodeMessage(messages),
		ObservedGeneration: generation,
		Components:         comps,
		Conditions:         append([]metav1.Condition(nil), prev...),
	}
	objReason, objStatus := hotplugv1.ReasonAllReady, metav1.ConditionTrue
	if worst != healthReady {
		objReason, objStatus = hotplugv1.ReasonNotReady, metav1.ConditionFalse
	}
	if worst == healthFailed {
		objReason = hotplugv1.ReasonFailed
	}
	setCondition(&st.Conditions, metav1.Condition{Type: hotplugv1.ConditionReady, Status: objStatus, Reason: objReason, Message: notReadySummary(comps)}, generation, now)
	setKstatus(&st.Conditions, worst, objReason, notReadySummary(comps), generation, now)
	return st
}

// componentKstatus keeps a component's Reconciling and Stalled conditions
// only while they are True (kstatus reads an absent abnormal-true condition
// as False), so a running component carries Ready alone, as it always did.
func componentKstatus(conds *[]metav1.Condition, h health, reason, msg string, generation int64, now metav1.Time) {
	for _, c := range []struct {
		typ string
		on  bool
	}{{hotplugv1.ConditionReconciling, h == healthProgressing}, {hotplugv1.ConditionStalled, h == healthFailed}} {
		if !c.on {
			meta.RemoveStatusCondition(conds, c.typ)
			continue
		}
		setCondition(conds, metav1.Condition{Type: c.typ, Status: metav1.ConditionTrue, Reason: reason, Message: msg}, generation, now)
	}
}

// setKstatus sets kstatus' abnormal-true conditions next to Ready:
// Reconciling is True while h is progressing, Stalled is True when h has
// failed; each is False otherwise, with the same reason and no message.
func setKstatus(conds *[]metav1.Condition, h health, reason, msg string, generation int64, now metav1.Time) {
	for _, c := range []struct {
		typ string
		on  bool
	}{{hotplugv1.ConditionReconciling, h == healthProgressing}, {hotplugv1.ConditionStalled, h == healthFailed}} {
		cond := metav1.Condition{Type: c.typ, Status: metav1.ConditionFalse, Reason: reason}
		if c.on {
			cond.Status, cond.Message = metav1.ConditionTrue, msg
		}
		setCondition(conds, cond, generation, now)
	}
}

// componentStatus classifies one configured component.
func componentStatus(c *merge.Component, o Outcome) (hotplugv1.ComponentStatus, health, string) {
	cs := hotplugv1.ComponentStatus{Name: c.Name, Enabled: c.Enabled, Namespace: c.Namespace, PkgName: c.PkgName, LastDriftRepair: o.LastDriftRepair}
	if r := o.Release; r != nil {
		cs.Chart, cs.ChartVersion, cs.Revision, cs.ValuesDigest = r.Chart, r.ChartVersion, r.Revision, releaseDigest(r)
		cs.ChartDigest = r.ChartDigest
	}
	switch {
	case !c.HasPackage():
		cs.Message = map[bool]string{true: hotplugv1.StatusEnabled, false: hotplugv1.StatusDisabled}[c.Enabled]
		if o.Release != nil || o.InFlight != "" {
			cs.Message = "feature switch; removing the release of its former package"
			return cs, healthProgressing, hotplugv1.ReasonProgressing
		}
		return cs, healthReady, hotplugv1.ReasonFeatureSwitch
	case o.InFlight != "":
		cs.Message = string(o.InFlight) + " in progress"
		return cs, healthProgressing, hotplugv1.ReasonProgressing
	case o.Held != "":
		cs.Message = o.Held
		return cs, healthProgressing, hotplugv1.ReasonReleaseHeld
	case o.Reconciled && o.Target != Target(c):
		// The outcome is about an older configuration of this component: a
		// status written for another component's change must not call it
		// running before its own reconcile has compared it.
		cs.Message = "waiting for the agent to apply the new configuration"
		return cs, healthProgressing, hotplugv1.ReasonProgressing
	case o.PackageErr != nil && c.Enabled && o.Release != nil && o.Release.Status == "deployed" && chartfetch.IsSourceFailure(o.PackageErr):
		return sourceFailingStatus(cs, o)
	case o.PackageErr != nil && c.Enabled:
		cs.Message = o.PackageErr.Error()
		return cs, healthFailed, hotplugv1.ReasonPackageError
	case o.Blocked != "":
		cs.Message = o.Blocked
		return cs, healthProgressing, hotplugv1.ReasonDependencyNotReady
	case o.ActionErr != nil:
		cs.Message = fmt.Sprintf("helm %s failed: %v", o.FailedAction, o.ActionErr)
		return cs, healthFailed, hotplugv1.ReasonActionFailed
	case !o.Reconciled:
		cs.Message = "waiting for the agent"
		return cs, healthProgressing, hotplugv1.ReasonProgressing
	case !c.Enabled:
		if o.Release != nil {
			cs.Message = "disabled; uninstalling"
			return cs, healthProgressing, hotplugv1.ReasonProgressing
		}
		cs.Message = hotplugv1.StatusDisabled
		return cs, healthReady, hotplugv1.ReasonDisabled
	case o.Release != nil && o.Release.Status == "deployed" && releaseDigest(o.Release) == o.Digest:
		cs, h, reason := workloadStatus(cs, o)
		if o.SourceErr != nil {
			cs.Message = fmt.Sprintf("%s; chart source failing, kept %s %s from the cache: %v", cs.Message, cs.Chart, cs.ChartVersion, o.SourceErr)
		}
		return cs, h, reason
	default:
		cs.Message = "release not yet at the desired chart and values"
		return cs, healthProgressing, hotplugv1.ReasonProgressing
	}
}

// sourceFailingStatus is a component whose chart source fails while its
// release runs: the release and its objects are left as they are, and the
// component is not at its configuration (progressing, or failed when its
// objects are) until a pull works.
func sourceFailingStatus(cs hotplugv1.ComponentStatus, o Outcome) (hotplugv1.ComponentStatus, health, string) {
	cs.Message = fmt.Sprintf("chart source failing; release revision %d (%s %s) keeps running: %v",
		o.Release.Revision, o.Release.Chart, o.Release.ChartVersion, o.PackageErr)
	if hl := o.Health; hl != nil && hl.Revision == o.Release.Revision && hl.State == healthpkg.Failed {
		return cs, healthFailed, hotplugv1.ReasonChartSourceFailing
	}
	return cs, healthProgressing, hotplugv1.ReasonChartSourceFailing
}

// workloadStatus classifies a component whose release is deployed at the
// desired chart and values by the health of the release's objects: running
// only when every object is ready.
func workloadStatus(cs hotplugv1.ComponentStatus, o Outcome) (hotplugv1.ComponentStatus, health, string) {
	hl := o.Health
	switch {
	case hl == nil || hl.Revision != o.Release.Revision:
		cs.Message = "release deployed; checking the health of its objects"
		return cs, healthProgressing, hotplugv1.ReasonWorkloadsProgressing
	case hl.State == healthpkg.Ready:
		cs.Message = hotplugv1.MessageRunning
		return cs, healthReady, hotplugv1.ReasonDeployed
	case hl.State == healthpkg.Failed:
		cs.Message = hl.Message
		return cs, healthFailed, hotplugv1.ReasonWorkloadsFailed
	default:
		cs.Message = hl.Message
		return cs, healthProgressing, hotplugv1.ReasonWorkloadsProgressing
	}
}

func reasonFor(h health, failed string) string {
	if h == healthFailed {
		return failed
	}
	return hotplugv1.ReasonProgressing
}

// setCondition sets c, keeping the last transition time when the status
// did not change.
func setCondition(conds *[]metav1.Condition, c metav1.Condition, generation int64, now metav1.Time) {
	c.ObservedGeneration = generation
	c.LastTransitionTime = now
	c.Message = limits.Message(c.Message, limits.MaxConditionBytes)
	meta.SetStatusCondition(conds, c)
}

// encodeMessage renders the original's JSON object string; keys are sorted
// by encoding/json, so equal states give equal strings. It stays valid JSON
// within limits.MaxConditionBytes: when the messages together are too long,
// each is cut shorter (never the JSON itself).
func encodeMessage(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	for each := limits.MaxMessageBytes; ; each /= 2 {
		cut := make(map[string]string, len(m))
		for k, v := range m {
			cut[k] = limits.Message(v, each)
		}
		data, err := json.Marshal(cut)
		if err != nil {
			return "{}"
		}
		if len(data) <= limits.MaxConditionBytes || each < 16 {
			return string(data)
		}
	}
}

func notReadySummary(comps []hotplugv1.ComponentStatus) string {
	var bad []string
	for _, c := range comps {
		if meta.IsStatusConditionFalse(c.Conditions, hotplugv1.ConditionReady) {
			bad = append(bad, c.Name)
		}
	}
	if len(bad) == 0 {
		return "all components are ready"
	}
	return "not ready: " + strings.Join(bad, ", ")
}
