package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// webUnschedulable are default values no node can run (more cpu than any
// node has): a bad release of the web chart.
const webUnschedulable = "replicaCount: 1\nimage:\n  repository: nginx\n  tag: \"1.27.0\"\nservice:\n  type: ClusterIP\n  port: 80\nresources:\n  requests:\n    cpu: \"64\"\n"

// TestProgressiveChartVersionRollout: a new chart version is one edit of
// common's chart.version. Three clusters pull web from an OCI registry
// (TLS from a private CA, each cluster's own pull Secret); under a
// Progressive rollout a good version goes to the canary first and then to
// the others; a bad version (its default values cannot be scheduled)
// reaches the canary only and pauses the rollout while the others keep the
// good version; `hotplug rollout undo` returns common and the canary to the
// good version with no other step.
func TestProgressiveChartVersionRollout(t *testing.T) {
	reg := testregistry.Start(t)
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0"} {
		reg.Push(t, "webapp", "web", v)
	}
	bad, err := os.ReadFile(filepath.Join(dir, testcharts.PackageValues(t, "webapp", dir, "web", "1.2.0", "", webUnschedulable)))
	if err != nil {
		t.Fatal(err)
	}
	reg.PushPackage(t, bad, "web", "1.2.0")

	web := hotplugv1.ComponentSpec{Name: "web", Namespace: "web", Status: hotplugv1.StatusEnabled,
		Chart: &hotplugv1.ChartSource{Repository: reg.Repository(), Name: "web", Version: "1.0.0", SecretRef: &hotplugv1.SecretReference{Name: pullSecret}}}
	names := []string{"pivot-cluster", "member-1", "member-2"}
	f, _, _ := startRolloutFleet(t, rolloutSetup{names: names, components: []hotplugv1.ComponentSpec{web},
		prepare: func(fc *fleetCluster) {
			ctx := context.Background()
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agent.DefaultNamespace}}
			if err := fc.c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
			sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: agent.DefaultNamespace, Name: pullSecret}, Type: corev1.SecretTypeBasicAuth,
				Data: map[string][]byte{"username": []byte(testregistry.Username), "password": []byte(testregistry.Password), "ca.crt": reg.CA.PEM}}
			if err := fc.c.Create(ctx, sec); err != nil {
				t.Fatal(err)
			}
		},
		agentOpts: func(string) agent.Options {
			return agent.Options{ChartDir: t.TempDir(), ChartCacheDir: t.TempDir(), RetryBase: time.Second, RetryMax: 5 * time.Second}
		},
	})
	setVersion := func(v string) int64 {
		return f.edit(func(s *hotplugv1.HotplugSpec) { s.Component[componentIndex(t, s, "web")].Chart.Version = v })
	}
	versions := func() map[string]string {
		out := map[string]string{}
		for _, n := range names {
			if r := f.members[n].release(t, "web", "web"); r != nil {
				out[n] = r.ChartVersion
			}
		}
		return out
	}

	f.waitComplete("web 1.0.0 runs everywhere", f.common().Generation, 4*time.Minute)

	good := setVersion("1.1.0")
	f.waitComplete("web 1.1.0 rolls out", good, 3*time.Minute)
	type moved struct {
		cluster string
		at      time.Time
	}
	var order []moved
	for _, n := range names {
		r := f.members[n].release(t, "web", "web")
		if r == nil || r.ChartVersion != "1.1.0" {
			t.Fatalf("%s runs web %+v after the rollout of 1.1.0", n, r)
		}
		order = append(order, moved{n, r.Since})
	}
	sort.Slice(order, func(i, j int) bool { return order[i].at.Before(order[j].at) })
	for _, m := range order {
		t.Logf("%s upgraded to 1.1.0 at %s", m.cluster, m.at.Format("15:04:05.000"))
	}
	if order[0].cluster != "member-1" {
		t.Errorf("%s upgraded to 1.1.0 first, not the canary member-1", order[0].cluster)
	}
	for i := 1; i < len(order); i++ {
		if prev := f.healthyAt(order[i-1].cluster, good); prev.IsZero() || order[i].at.Before(prev) {
			t.Errorf("%s upgraded at %s, before %s was Ready at the revision (%s)", order[i].cluster,
				order[i].at.Format("15:04:05.000"), order[i-1].cluster, prev.Format("15:04:05.000"))
		}
	}

	editAt := time.Now()
	badRev := setVersion("1.2.0")
	st := f.waitPaused(badRev)
	if len(st.FailedClusters) != 1 || st.FailedClusters[0].Name != "member-1" {
		t.Errorf("failed clusters %+v, want the canary member-1", st.FailedClusters)
	}
	if got := versions(); got["member-1"] != "1.2.0" || got["pivot-cluster"] != "1.1.0" || got["member-2"] != "1.1.0" {
		t.Errorf("after the bad version: %v; want 1.2.0 on the canary only", got)
	}
	// The others keep 1.1.0 a while past the deadline.
	for time.Since(editAt) < rolloutDeadline+15*time.Second {
		if got := versions(); got["pivot-cluster"] != "1.1.0" || got["member-2"] != "1.1.0" {
			t.Fatalf("%s after the bad version: %v", time.Since(editAt).Round(time.Second), got)
		}
		time.Sleep(time.Second)
	}

	out, code := f.hotplugCLI("rollout", "undo")
	t.Logf("hotplug rollout undo (exit %d):\n%s", code, out)
	if code != 0 {
		t.Fatalf("hotplug rollout undo: exit %d", code)
	}
	spec := f.common().Spec
	if v := spec.Component[componentIndex(t, &spec, "web")].Chart.Version; v != "1.1.0" {
		t.Errorf("after undo common asks for web %q, want 1.1.0", v)
	}
	f.waitComplete("the undo completes", f.common().Generation, 3*time.Minute)
	if got := versions(); got["member-1"] != "1.1.0" || got["pivot-cluster"] != "1.1.0" || got["member-2"] != "1.1.0" {
		t.Errorf("after undo: %v, want 1.1.0 everywhere", got)
	}
	// What `hotplug status` shows: each cluster's report on the pivot names
	// the version and the digest it runs.
	digests := map[string]bool{}
	for _, n := range names {
		cl := &clusterv1.Cluster{}
		if err := f.pivot.c.Get(context.Background(), client.ObjectKey{Name: n}, cl); err != nil {
			t.Fatal(err)
		}
		for _, cs := range cl.Status.Components {
			if cs.Name == "web" {
				digests[cs.ChartDigest] = true
				if cs.ChartVersion != "1.1.0" || !strings.HasPrefix(cs.ChartDigest, "sha256:") {
					t.Errorf("%s reports web %s %s after undo", n, cs.ChartVersion, cs.ChartDigest)
				}
			}
		}
	}
	if len(digests) != 1 {
		t.Errorf("the clusters report %d digests of web 1.1.0, want one: %v", len(digests), digests)
	}
}
