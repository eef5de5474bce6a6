package agent

import (
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// secrets holds each component's Redactor: the strings of its desired
// values and of the values its releases were installed with. Every text
// that leaves a component's reconcile goes through it: the status (the
// statusWriter redacts the outcomes), Events (Reconciler.event) and log
// lines (the reconcile's logger, redactingSink). A Redactor is built at its
// first use after its values changed, not for every message.
type secrets struct {
	mu sync.Mutex
	m  map[string]*componentSecrets
}

type componentSecrets struct {
	// key identifies the values: the desired map (the merge is memoized,
	// so an unchanged configuration keeps its map) and each release's
	// namespace and revision (a revision's values never change).
	key    []string
	keep   []string
	values []map[string]any
	once   sync.Once // builds built outside secrets.mu
	built  *redact.Redactor
}

func newSecrets() *secrets { return &secrets{m: map[string]*componentSecrets{}} }

// set records the values of component name: desired (nil when the
// component is no longer configured or its configuration is refused: the
// last desired values are kept, an error may still quote them) and those of
// its releases (nil: the last ones are kept, so a reconcile that has not
// looked at its releases yet does not forget them). keep are words that
// stay readable (its name, namespace, the cluster's name).
func (s *secrets) set(name string, keep []string, desired map[string]any, releases []*helm.Release) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.m[name]
	keep = slices.Clone(keep)
	if old != nil {
		if desired == nil {
			desired = old.values[0]
		}
		if releases == nil {
			keep = append(keep, old.keep...)
		}
	}
	slices.Sort(keep)
	keep = slices.Compact(keep)
	key := []string{mapID(desired)}
	values := []map[string]any{desired}
	if releases == nil && old != nil {
		key, values = append(key, old.key[1:]...), append(values, old.values[1:]...)
	}
	for _, rel := range releases {
		if rel != nil && rel.Values != nil {
			key = append(key, rel.Namespace+"/"+strconv.Itoa(rel.Revision))
			values = append(values, rel.Values)
		}
	}
	if old != nil && slices.Equal(old.key, key) && slices.Equal(old.keep, keep) {
		return
	}
	s.m[name] = &componentSecrets{key: key, keep: keep, values: values}
}

// redactor returns the Redactor of component name, building it when its
// values changed; nil (redacting nothing) when none were recorded.
func (s *secrets) redactor(name string) *redact.Redactor {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	c := s.m[name]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	c.once.Do(func() { c.built = redact.New(c.keep, c.values...) })
	return c.built
}

// forget drops the values of a component that is gone.
func (s *secrets) forget(name string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	delete(s.m, name)
	s.mu.Unlock()
}

// mapID identifies a map by its address ("" for nil).
func mapID(m map[string]any) string {
	if m == nil {
		return ""
	}
	return strconv.FormatUint(uint64(uintptr(reflect.ValueOf(m).UnsafePointer())), 16)
}

// remember records the values of component name as this reconcile sees
// them: the desired ones and those of the observed releases. The words kept
// readable are its name, its namespaces and the cluster's name: all three
// are in every message already, and a value equal to one is no secret.
func (r *Reconciler) remember(name string, d Desired, obs Observed) {
	keep := []string{name, r.opts.ClusterName}
	var desired map[string]any
	if d.Component != nil {
		keep = append(keep, d.Component.Namespace)
		desired = d.Component.Values
	}
	for _, rel := range obs.Releases {
		if rel != nil && !slices.Contains(keep, rel.Namespace) {
			keep = append(keep, rel.Namespace)
		}
	}
	r.secrets.set(name, keep, desired, obs.Releases)
}

// redactOutcomes returns outs with every text that may quote an error
// (Helm's, the chart loader's, the health check's, drift's) redacted of
// its component's values: the status is computed from what this returns.
func (s *secrets) redactOutcomes(outs map[string]Outcome) map[string]Outcome {
	for name, o := range outs {
		r := s.redactor(name)
		if r == nil {
			continue
		}
		o.ActionErr, o.PackageErr = r.Error(o.ActionErr), r.Error(o.PackageErr)
		o.Held, o.Blocked = r.String(o.Held), r.String(o.Blocked)
		if o.Health != nil {
			h := *o.Health
			h.Message = r.String(h.Message)
			o.Health = &h
		}
		if o.LastDriftRepair != nil {
			d := *o.LastDriftRepair
			d.Message = r.String(d.Message)
			o.LastDriftRepair = &d
		}
		outs[name] = o
	}
	return outs
}

// redactConfig returns eff with its configuration errors redacted of their
// component's last known values (the result is shared: eff is not changed).
func (s *secrets) redactConfig(eff merge.Result) merge.Result {
	if len(eff.Errors) == 0 {
		return eff
	}
	errs := make([]*merge.Error, len(eff.Errors))
	for i, e := range eff.Errors {
		errs[i] = e
		if r := s.redactor(e.Component); r != nil {
			c := *e
			c.Err = r.Error(e.Err)
			errs[i] = &c
		}
	}
	eff.Errors = errs
	return eff
}
