package agent_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/inprocess"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// logBuffer is a logr sink writing into a buffer, everything but
// client-go's HTTP body tracing (-v=8).
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		fmt.Fprintf(&l.b, "%s %s\n", prefix, args)
	}, funcr.Options{Verbosity: 7})
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// leakForms are the spellings of v an error could carry: as written,
// JSON-escaped, Go-quoted and base64.
func leakForms(v string) []string {
	j, _ := json.Marshal(v)
	return []string{v, string(j[1 : len(j)-1]), strconv.Quote(v)[1 : len(strconv.Quote(v))-1],
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
}

// assertNoLeak fails t when any form of any secret is in text.
func assertNoLeak(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, f := range leakForms(s) {
			if i := strings.Index(text, f); i >= 0 {
				t.Errorf("%s holds %q (a form of %q): …%s…", where, f, s, text[max(0, i-300):min(len(text), i+len(f)+50)])
			}
		}
	}
}

// startCluster starts a one-cluster control plane and a client of it.
func startCluster(t *testing.T, name string) (*controlplane.Cluster, client.Client) {
	t.Helper()
	cl := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: name}).Cluster(name)
	c, err := client.New(cl.Config, client.Options{Scheme: kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c
}

// startAgent runs an in-process agent logging into logs until the test ends.
func startAgent(t *testing.T, cfg *controlplane.Cluster, opts agent.Options, logs *logBuffer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := inprocess.StartAgent(ctx, cfg.Config, opts, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	stop := func() { cancel(); _ = p.Wait() }
	t.Cleanup(stop)
	return stop
}

// eventNotes returns the notes of the events with reason.
func eventNotes(ctx context.Context, t *testing.T, c client.Client, reason string) []string {
	t.Helper()
	events := &eventsv1.EventList{}
	if err := c.List(ctx, events); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, e := range events.Items {
		if e.Reason == reason {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// TestTemplateFailNeverQuotesValues: a chart whose template fails with
// values in its text (as charts' fail and required do), in every form a
// template can spell them (as is, toJson, b64enc), puts none of them in the
// component's status, the HelmFailed Event or the agent's logs; "hunter2"
// (7 bytes) included.
func TestTemplateFailNeverQuotesValues(t *testing.T) {
	cl, c := startCluster(t, "tpl")
	ctx := context.Background()
	dir := t.TempDir()
	pkg := testcharts.Template(t, dir, "failing", `{{ fail (printf "bad password %s; as JSON %s; as base64 %s; key %s; key as JSON %s; key as base64 %s"
  .Values.password (toJson .Values.password) (b64enc .Values.password)
  .Values.auth.key (toJson .Values.auth.key) (b64enc .Values.auth.key)) }}`)
	const password, key = "hunter2", "k3y\"with\nnewline-ü-and-more"
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "failing", Namespace: "failing", PkgName: pkg, Status: hotplugv1.StatusEnabled,
			Env: "password: hunter2\nauth:\n  key: " + strconv.Quote(key) + "\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	stop := startAgent(t, cl, agent.Options{ClusterName: "tpl", ChartDir: dir, Resync: time.Hour, HeartbeatInterval: time.Hour, RetryBase: time.Hour}, logs)

	var status string
	testenv.Eventually(t, 60*time.Second, "the failed install in status", func() (bool, string) {
		got := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil {
			return false, err.Error()
		}
		for _, cs := range got.Status.Components {
			if cs.Name == "failing" && strings.Contains(cs.Message, "failed") {
				raw, _ := json.Marshal(got.Status)
				status = cs.Message + "\n" + string(raw)
				return true, ""
			}
		}
		return false, got.Status.Phase + " " + got.Status.Message
	})
	if !strings.Contains(status, "bad password <redacted>") {
		t.Errorf("the status does not tell the failure with the value redacted: %.500s", status)
	}
	assertNoLeak(t, "the status", status, password, key)

	var notes []string
	testenv.Eventually(t, 30*time.Second, "the HelmFailed event", func() (bool, string) {
		notes = eventNotes(ctx, t, c, "HelmFailed")
		return len(notes) > 0, "no HelmFailed event"
	})
	assertNoLeak(t, "the HelmFailed event", strings.Join(notes, "\n"), password, key)

	stop()
	if !strings.Contains(logs.String(), "helm action failed") {
		t.Errorf("the logs do not report the failure")
	}
	assertNoLeak(t, "the agent's logs", logs.String(), password, key)
}

// TestDriftRepairFailureNeverQuotesValues: a drift repair refused by the
// API server with a message that quotes the value being set back (an
// admission policy's messageExpression) puts the value neither in the
// DriftRepairFailed Event nor in the agent's logs nor in the status.
func TestDriftRepairFailureNeverQuotesValues(t *testing.T) {
	cl, c := startCluster(t, "drift")
	ctx := context.Background()
	// Updates of ConfigMaps in namespace locked to password hunter2 are
	// refused, quoting it; dry runs (drift detection) pass.
	fail := admissionv1.Fail
	for _, obj := range []client.Object{
		&admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "no-hunter"}, Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{RuleWithOperations: admissionv1.RuleWithOperations{
				Operations: []admissionv1.OperationType{admissionv1.Update},
				Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}}}},
			Validations: []admissionv1.Validation{{
				Expression:        `request.dryRun == true || request.namespace != "locked" || !has(object.data) || !("password" in object.data) || object.data.password != "hunter2"`,
				MessageExpression: `"ConfigMap " + object.metadata.name + " may not hold password " + object.data.password`,
			}},
		}},
		&admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "no-hunter"}, Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "no-hunter", ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "locked"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "locked", Name: "probe"}, Data: map[string]string{"password": "x"}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, "the policy refuses", func() (bool, string) {
		probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "locked", Name: "probe"}, Data: map[string]string{"password": "hunter2"}}
		err := c.Update(ctx, probe)
		return err != nil && strings.Contains(err.Error(), "may not hold password hunter2"), fmt.Sprint(err)
	})

	dir := t.TempDir()
	pkg := testcharts.Template(t, dir, "locked", `apiVersion: v1
kind: ConfigMap
metadata:
  name: locked
data:
  password: {{ .Values.password | quote }}
`)
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "locked", Namespace: "locked", PkgName: pkg, Status: hotplugv1.StatusEnabled, Env: "password: hunter2\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	stop := startAgent(t, cl, agent.Options{ClusterName: "drift", ChartDir: dir, Resync: 2 * time.Second, HeartbeatInterval: time.Hour}, logs)
	testenv.Eventually(t, 60*time.Second, "locked runs", func() (bool, string) {
		got := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil {
			return false, err.Error()
		}
		return got.Status.Phase == hotplugv1.PhaseRunning, got.Status.Phase + " " + got.Status.Message
	})

	// Changed by hand: the repair sets hunter2 back and is refused.
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "locked", Name: "locked"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["password"] = "changed-by-hand"
	if err := c.Update(ctx, cm, client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	var notes []string
	testenv.Eventually(t, 60*time.Second, "the DriftRepairFailed event", func() (bool, string) {
		notes = eventNotes(ctx, t, c, "DriftRepairFailed")
		return len(notes) > 0, "no DriftRepairFailed event"
	})
	if !strings.Contains(strings.Join(notes, "\n"), "may not hold password <redacted>") {
		t.Errorf("the event does not tell the refusal with the value redacted: %q", notes)
	}
	assertNoLeak(t, "the DriftRepairFailed event", strings.Join(notes, "\n"), "hunter2")
	got := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(got.Status)
	assertNoLeak(t, "the status", string(raw), "hunter2")

	stop()
	if !strings.Contains(logs.String(), "drift repair incomplete") {
		t.Errorf("the logs do not report the failed repair")
	}
	assertNoLeak(t, "the agent's logs", logs.String(), "hunter2")
}
