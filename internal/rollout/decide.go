package rollout

import (
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Cluster is what the decision reads of one Cluster object on the pivot.
type Cluster struct {
	// Name and Labels of the Cluster object (labels select canaries).
	Name   string
	Labels map[string]string
	// Revision is status.commonRevision: the revision its agent runs.
	Revision int64
	// Ready is the cluster's Ready condition, describing Revision; nil
	// when the agent has not reported one.
	Ready *metav1.Condition
	// NotReady says, for a few components not Ready in the cluster, "name:
	// message" as its agent reports them (bounded, no values), to explain a
	// failure.
	NotReady []string
	// Abnormal is status.state abnormal (its agent stopped reporting), with
	// the hub's reason.
	Abnormal       bool
	AbnormalReason string
}

// Assigned is a cluster's current assignment: the revision and the content
// digest (ContentDigest) of the spec it holds.
type Assigned struct {
	Revision int64
	Digest   string
}

// Input is everything a rollout decision depends on.
type Input struct {
	// Spec, Generation and Annotations of `common`.
	Spec        hotplugv1.HotplugSpec
	Generation  int64
	Annotations map[string]string
	// Clusters are every Cluster object (the pivot's included).
	Clusters []Cluster
	// Assignments map a cluster to its assignment; a cluster without one
	// is new.
	Assignments map[string]Assigned
	// CompleteDigest is the content digest of Prev.Revision ("" unknown).
	CompleteDigest string
	// Prev is `common`'s status.rollout before this decision.
	Prev *hotplugv1.RolloutStatus
	// Now is the time of the decision.
	Now time.Time
}

// Decision is what the hub must make true.
type Decision struct {
	// Status is the new status.rollout; nil when common does not roll out
	// progressively (status.rollout and RolloutComplete are then removed).
	Status *hotplugv1.RolloutStatus
	// Condition is the RolloutComplete condition; nil with Status.
	Condition *metav1.Condition
	// Assign holds the revision every cluster must be assigned; nil means
	// write no assignment (strategy All: members mirror common itself).
	Assign map[string]int64
	// After is when to decide again at the latest (a progress deadline or
	// the end of a healthy period); 0 when nothing waits on time.
	After time.Duration
}

// Decide computes the rollout of `common` one step further. It is pure: the
// same input gives the same decision, and a decision applied and fed back
// gives no further change until a cluster reports or time passes a
// deadline. The rules, in order:
//
//   - strategy not Progressive: no status, no assignments (as before
//     rollouts existed);
//   - no previous rollout status: the current generation is complete at
//     once and assigned to every cluster (bootstrap: with strategy All the
//     clusters already run it);
//   - a new generation starts a new rollout: every cluster not assigned it
//     is Pending, including clusters that were moving to the previous
//     target;
//   - a cluster without an assignment gets the last complete revision;
//   - a cluster whose assignment holds the target's content, or every
//     cluster when the target's content is the complete revision's (an
//     undo), is moved at once, paused or not: that changes nothing it runs
//     or returns it to what ran everywhere;
//   - a moved cluster is Progressing from the move; Updated once it reports
//     the target with Ready=True for minHealthySeconds; Failed when not
//     Updated within progressDeadline of the move (a cluster seen healthy
//     at the deadline gets until its healthy period ends);
//   - a failure or the paused annotation pauses: no further move; a
//     resumed-at annotation value not acted on yet makes every failed
//     cluster Progressing again from now (decideResume: the hub's clock,
//     not the client's; a legacy RFC 3339 value resumes the failures
//     before it, never later than now);
//   - otherwise canaries move one at a time in name order, then, once all
//     canaries are Updated, the others in name order with at most
//     maxConcurrency of them Progressing; abnormal clusters are not moved;
//   - all clusters Updated: the target is complete.
func Decide(in Input) Decision {
	ro := in.Spec.Rollout
	if ro == nil || ro.Strategy != hotplugv1.RolloutProgressive {
		return Decision{}
	}
	clusters := append([]Cluster(nil), in.Clusters...)
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	d := &decider{in: in, clusters: clusters, now: in.Now, stamp: metav1.NewTime(in.Now.Truncate(time.Second)),
		target: in.Generation, targetDigest: ContentDigest(in.Spec)}
	if in.Prev == nil || in.Prev.Revision == 0 {
		return d.bootstrap()
	}
	s, err := parseSettings(ro, len(clusters))
	d.settings = s
	d.load()
	if err != nil {
		d.invalid = err.Error()
	}
	d.moveSameContent()
	d.resume()
	for i := range d.states {
		d.evaluate(i)
	}
	if !d.paused() {
		d.advance()
	}
	return d.finish()
}

// decider holds one decision under way.
type decider struct {
	in           Input
	clusters     []Cluster // by name
	settings     settings
	now          time.Time
	stamp        metav1.Time // now as stored (API times have seconds)
	target       int64
	targetDigest string
	complete     int64
	states       []hotplugv1.ClusterRollout // parallel to clusters
	assigned     []Assigned                 // parallel to clusters
	invalid      string                     // why the rollout block cannot be used
	ask          resumeAsk                  // what the resume annotation asked
}

func (d *decider) bootstrap() Decision {
	st := &hotplugv1.RolloutStatus{Revision: d.target, TargetRevision: d.target, Phase: hotplugv1.RolloutComplete}
	// A marker present before the first rollout asks nothing of it.
	if v := d.in.Annotations[hotplugv1.RolloutResumedAtAnnotation]; v != "" {
		st.ObservedResume = markerKey(v)
	}
	assign := map[string]int64{}
	for _, c := range d.clusters {
		assign[c.Name] = d.target
		st.Clusters = append(st.Clusters, hotplugv1.ClusterRollout{Name: c.Name, Revision: d.target,
			State: hotplugv1.ClusterRolloutUpdated, Since: d.stampPtr()})
		st.UpdatedClusters = append(st.UpdatedClusters, c.Name)
	}
	st.Message = completeMessage(d.target, len(d.clusters))
	return Decision{Status: st, Condition: condition(st, d.in.Generation, d.stamp), Assign: assign}
}

func (d *decider) stampPtr() *metav1.Time { t := d.stamp; return &t }

// load reads every cluster's assignment and its state in the current
// rollout from the previous status.
func (d *decider) load() {
	prev := d.in.Prev
	d.complete = prev.Revision
	same := prev.TargetRevision == d.target
	byName := map[string]hotplugv1.ClusterRollout{}
	for _, c := range prev.Clusters {
		byName[c.Name] = c
	}
	d.states = make([]hotplugv1.ClusterRollout, len(d.clusters))
	d.assigned = make([]Assigned, len(d.clusters))
	for i, c := range d.clusters {
		a, ok := d.in.Assignments[c.Name]
		if !ok {
			a = Assigned{Revision: d.complete, Digest: d.in.CompleteDigest}
		}
		d.assigned[i] = a
		st, seen := byName[c.Name]
		if !same || !seen {
			st = hotplugv1.ClusterRollout{Name: c.Name}
		}
		st.Revision = a.Revision
		switch {
		case a.Revision == d.target && d.target == d.complete && st.State == "":
			// A cluster that joins once the target completed is on it.
			st.State, st.Since = hotplugv1.ClusterRolloutUpdated, d.stampPtr()
		case a.Revision == d.target && (st.State == "" || st.State == hotplugv1.ClusterRolloutPending):
			// Moved by an earlier decision whose status was not saved.
			d.setState(&st, hotplugv1.ClusterRolloutProgressing, "")
		case a.Revision != d.target && st.State != hotplugv1.ClusterRolloutPending:
			d.setState(&st, hotplugv1.ClusterRolloutPending, "")
		}
		d.states[i] = st
	}
}

// setState moves st to state from now, keeping Since when it stays.
func (d *decider) setState(st *hotplugv1.ClusterRollout, state hotplugv1.ClusterRolloutState, reason string) {
	if st.State != state || st.Since == nil {
		st.State, st.Since = state, d.stampPtr()
	}
	st.Reason = reason
	if state != hotplugv1.ClusterRolloutProgressing && state != hotplugv1.ClusterRolloutUpdated {
		st.HealthySince = nil
	}
}

// move assigns the target to cluster i: Progressing from now.
func (d *decider) move(i int) {
	d.assigned[i] = Assigned{Revision: d.target, Digest: d.targetDigest}
	st := &d.states[i]
	st.Revision, st.HealthySince = d.target, nil
	d.setState(st, hotplugv1.ClusterRolloutProgressing, "")
}

// moveSameContent moves at once the clusters for which the target changes
// nothing, and every cluster when the target is the complete content.
func (d *decider) moveSameContent() {
	undo := d.in.CompleteDigest != "" && d.targetDigest == d.in.CompleteDigest
	for i := range d.clusters {
		if d.assigned[i].Revision == d.target {
			continue
		}
		if undo || (d.assigned[i].Digest != "" && d.assigned[i].Digest == d.targetDigest) {
			d.move(i)
		}
	}
}

// resume makes failed clusters Progressing again as the resumed-at
// annotation asks (decideResume), from when the hub saw it.
func (d *decider) resume() {
	d.ask = decideResume(d.in.Annotations[hotplugv1.RolloutResumedAtAnnotation], d.in.Prev, d.now)
	if d.ask.From.IsZero() {
		return
	}
	from := metav1.NewTime(d.ask.From.Truncate(time.Second))
	for i := range d.states {
		st := &d.states[i]
		if st.State == hotplugv1.ClusterRolloutFailed && st.Since != nil && (!d.ask.OnlyBefore || st.Since.Time.Before(d.ask.From)) {
			t := from
			st.State, st.Since, st.Reason, st.HealthySince = hotplugv1.ClusterRolloutProgressing, &t, "", nil
		}
	}
}

// evaluate decides whether Progressing cluster i is Updated or Failed.
func (d *decider) evaluate(i int) {
	st, c := &d.states[i], d.clusters[i]
	if st.State != hotplugv1.ClusterRolloutProgressing {
		return
	}
	healthy := !c.Abnormal && c.Revision == d.target && c.Ready != nil && c.Ready.Status == metav1.ConditionTrue
	if healthy {
		switch {
		case st.HealthySince == nil:
			// First seen healthy now; stored rounded up so that the healthy
			// period is never shorter than asked.
			t := metav1.NewTime(d.now.Truncate(time.Second).Add(roundUp(d.now)))
			st.HealthySince = &t
		case c.Ready.LastTransitionTime.After(st.HealthySince.Time):
			// It was not Ready in between.
			t := c.Ready.LastTransitionTime
			st.HealthySince = &t
		}
		if !d.now.Before(st.HealthySince.Add(d.settings.minHealthy)) {
			st.State, st.Since, st.Reason = hotplugv1.ClusterRolloutUpdated, d.stampPtr(), ""
			return
		}
	} else {
		st.HealthySince = nil
	}
	if st.HealthySince == nil && !d.now.Before(st.Since.Add(d.settings.deadline)) {
		d.setState(st, hotplugv1.ClusterRolloutFailed, failureReason(c, d.target, d.settings.deadline))
	}
}

// roundUp is what takes t up to the next whole second (0 when whole).
func roundUp(t time.Time) time.Duration {
	if t.Truncate(time.Second).Equal(t) {
		return 0
	}
	return time.Second
}

func (d *decider) paused() bool {
	if d.invalid != "" || d.in.Annotations[hotplugv1.RolloutPausedAnnotation] == "true" {
		return true
	}
	for _, st := range d.states {
		if st.State == hotplugv1.ClusterRolloutFailed {
			return true
		}
	}
	return false
}

func (d *decider) isCanary(i int) bool {
	return d.settings.canary != nil && d.settings.canary.Matches(labels.Set(d.clusters[i].Labels))
}

// advance moves the next canary, or once all canaries are Updated, the
// next others up to maxConcurrency Progressing.
func (d *decider) advance() {
	canariesDone := true
	for i := range d.clusters {
		if !d.isCanary(i) {
			continue
		}
		switch d.states[i].State {
		case hotplugv1.ClusterRolloutUpdated:
			continue
		case hotplugv1.ClusterRolloutPending:
			if canariesDone && !d.clusters[i].Abnormal && !d.canaryMoving() {
				d.move(i)
			}
		}
		canariesDone = false
	}
	if !canariesDone {
		return
	}
	moving := 0
	for i := range d.clusters {
		if !d.isCanary(i) && d.states[i].State == hotplugv1.ClusterRolloutProgressing {
			moving++
		}
	}
	for i := range d.clusters {
		if moving >= d.settings.maxConcurrency {
			return
		}
		if !d.isCanary(i) && d.states[i].State == hotplugv1.ClusterRolloutPending && !d.clusters[i].Abnormal {
			d.move(i)
			moving++
		}
	}
}

func (d *decider) canaryMoving() bool {
	for i := range d.clusters {
		if d.isCanary(i) && d.states[i].State == hotplugv1.ClusterRolloutProgressing {
			return true
		}
	}
	return false
}
