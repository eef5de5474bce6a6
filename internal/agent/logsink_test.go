package agent

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"

	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// TestRedactingLogger: message, string values, errors, Stringers and
// WithValues of a reconcile's log lines are redacted; other values pass.
func TestRedactingLogger(t *testing.T) {
	var out strings.Builder
	base := funcr.New(func(prefix, args string) { out.WriteString(prefix + " " + args + "\n") }, funcr.Options{})
	red := redact.New([]string{"mon"}, map[string]any{"password": "hunter2"})
	log := redactingLogger(base, func() *redact.Redactor { return red }).WithValues("seen", "hunter2").WithName("mon")
	log.Info("drift detection failed: hunter2", "error", errors.New("refused hunter2"), "text", "is hunter2", "n", 42)
	log.Error(errors.New("bad hunter2"), "helm action failed", "what", stringer("hunter2"))
	got := out.String()
	if strings.Contains(got, "hunter2") || strings.Count(got, redact.Redacted) != 7 || !strings.Contains(got, `"n"=42`) {
		t.Errorf("logs:\n%s", got)
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

// TestSecrets: a component's Redactor covers its desired values and its
// releases', survives a reconcile that has not observed the releases yet
// or lost its configuration, is rebuilt only when the values change, and
// redacts outcomes and configuration errors.
func TestSecrets(t *testing.T) {
	s := newSecrets()
	desired := map[string]any{"p": "hunter2"}
	rel := &helm.Release{Namespace: "ns", Revision: 3, Values: map[string]any{"old": "old-secret"}}
	s.set("c", []string{"c"}, desired, []*helm.Release{rel})
	r1 := s.redactor("c")
	if got := r1.String("hunter2 old-secret c"); got != "<redacted> <redacted> c" {
		t.Errorf("String = %q", got)
	}
	s.set("c", []string{"c"}, desired, nil) // before observing: releases kept
	s.set("c", []string{"c"}, nil, nil)     // configuration refused: values kept
	if s.redactor("c") != r1 {
		t.Error("Redactor rebuilt though the values did not change")
	}
	s.set("c", []string{"c"}, map[string]any{"p": "other-secret"}, []*helm.Release{rel})
	if got := s.redactor("c").String("hunter2 other-secret old-secret"); got != "hunter2 <redacted> <redacted>" {
		t.Errorf("after a change: %q", got)
	}
	outs := s.redactOutcomes(map[string]Outcome{"c": {ActionErr: errors.New("x other-secret"), Health: &ReleaseHealth{Message: "other-secret"}}})
	if outs["c"].ActionErr.Error() != "x <redacted>" || outs["c"].Health.Message != redact.Redacted {
		t.Errorf("outcome = %+v", outs["c"])
	}
	eff := s.redactConfig(merge.Result{Errors: []*merge.Error{{Component: "c", Err: errors.New("other-secret")}}})
	if strings.Contains(eff.Errors[0].Error(), "other-secret") {
		t.Errorf("config error = %v", eff.Errors[0])
	}
	s.forget("c")
	if s.redactor("c") != nil {
		t.Error("forgotten component still has a Redactor")
	}
}
