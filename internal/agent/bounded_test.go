package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/inprocess"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// failingChart writes a chart package whose template fails with a message
// of more than 100 KiB that quotes the values' secret, as Helm errors quoting
// a rendered manifest do.
func failingChart(t *testing.T, dir string) string {
	t.Helper()
	tpl := `{{ fail (printf "rendering %s: %s" .Values.secret (repeat 4400 "kind: ConfigMap, data: rendered; ")) }}`
	return testcharts.Template(t, dir, "loud", tpl)
}

// TestLongHelmErrorIsBoundedAndRedacted: a Helm error of more than 100 KiB
// that quotes the env's secret gives a status message within
// limits.MaxMessageBytes, an Event that the API server accepts (its limit is
// 1 KiB), and neither they nor the agent's logs contain the secret.
func TestLongHelmErrorIsBoundedAndRedacted(t *testing.T) {
	cl, c := startCluster(t, "loud")
	cfg := cl.Config
	ctx := context.Background()
	dir := t.TempDir()
	pkg := failingChart(t, dir)
	const secret = "hunter2-do-not-leak"
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "loud", Namespace: "loud", PkgName: pkg, Status: hotplugv1.StatusEnabled, Env: "secret: " + secret + "\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var logs strings.Builder
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, "%s %s\n", prefix, args)
	}, funcr.Options{Verbosity: 7}) // everything but client-go's HTTP body tracing (-v=8), a debugging aid that prints objects whole
	actx, cancel := context.WithCancel(ctx)
	p, err := inprocess.StartAgent(actx, cfg, agent.Options{ClusterName: "loud", ChartDir: dir, Resync: time.Hour, HeartbeatInterval: time.Hour, RetryBase: time.Hour}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = p.Wait() })

	var msg string
	testenv.Eventually(t, 60*time.Second, "the failed install in status", func() (bool, string) {
		got := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, got); err != nil {
			return false, err.Error()
		}
		for _, cs := range got.Status.Components {
			if cs.Name == "loud" && strings.Contains(cs.Message, "failed") {
				msg = cs.Message
				raw, _ := json.Marshal(got.Status)
				if strings.Contains(string(raw), secret) {
					t.Errorf("the status holds the env's secret")
				}
				return true, ""
			}
		}
		return false, got.Status.Phase + " " + got.Status.Message
	})
	if len(msg) > limits.MaxMessageBytes || !strings.HasPrefix(msg, "helm install failed: install release loud/loud") {
		t.Errorf("component message is %d bytes (max %d): %.300q", len(msg), limits.MaxMessageBytes, msg)
	}
	t.Logf("status message: %d bytes", len(msg))

	var note string
	testenv.Eventually(t, 30*time.Second, "the HelmFailed event", func() (bool, string) {
		events := &eventsv1.EventList{}
		if err := c.List(ctx, events); err != nil {
			return false, err.Error()
		}
		for _, e := range events.Items {
			if e.Reason == "HelmFailed" && e.Regarding.Name == hotplugv1.CommonName {
				note = e.Note
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events", len(events.Items))
	})
	if len(note) > limits.MaxEventBytes || strings.Contains(note, secret) || !strings.Contains(note, "component loud: helm install failed") {
		t.Errorf("event note is %d bytes: %.300q", len(note), note)
	}

	cancel()
	_ = p.Wait()
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), secret) {
		i := strings.Index(logs.String(), secret)
		t.Errorf("the agent's logs hold the env's secret: …%s…", logs.String()[max(0, i-3000):min(logs.Len(), i+50)])
	}
	if !strings.Contains(logs.String(), "helm action failed") {
		t.Errorf("the logs do not report the failure")
	}
}
