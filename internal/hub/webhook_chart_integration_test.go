package hub_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestWebhookRefusesBadChart runs the hub's webhook against a real API
// server: a chart the agent must not try is refused with the object,
// component and field named, by the CRD's schema (digest pattern, scheme
// rule) or by the webhook (everything merge checks, across objects too);
// a cluster's Hotplug that sets only a version or a mirror is admitted,
// and nothing refused changes an object.
func TestWebhookRefusesBadChart(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	testenv.StoppableHub(t, cfg, hubOptions(t))
	sync := map[string]string{hotplugv1.SyncAnnotation: "true"}
	harbor := func() *hotplugv1.ChartSource {
		return &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1",
			Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
	}
	charted := func(ch *hotplugv1.ChartSource) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: "logagent", Namespace: "logagent", Status: hotplugv1.StatusEnabled, Chart: ch}
	}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Annotations: sync},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{charted(harbor())}}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatalf("a good chart in common: %v", err)
	}
	if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
		t.Fatal(err)
	}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-1", Annotations: sync},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent", Chart: &hotplugv1.ChartSource{Repository: "oci://mirror.example.com:5000/charts"}}}}}
	testenv.Eventually(t, 30*time.Second, "the hub sees member-1", func() (bool, string) {
		err := c.Create(ctx, own.DeepCopy())
		return err == nil, fmt.Sprint(err)
	})

	bad := func(f func(*hotplugv1.ChartSource)) hotplugv1.ComponentSpec {
		ch := harbor()
		f(ch)
		return charted(ch)
	}
	generation := func(name string) int64 {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
			t.Fatal(err)
		}
		return hp.Generation
	}
	for _, tc := range []struct {
		name, object string
		comp         hotplugv1.ComponentSpec
		want         []string
	}{
		{"path traversal", "common", bad(func(ch *hotplugv1.ChartSource) { ch.Repository = "https://charts.example.com/a/../../etc" }),
			[]string{`hotplug "common": component "logagent": spec.component[0].chart.repository`, `".." segment`}},
		{"both pkgName and chart", "common", func() hotplugv1.ComponentSpec { s := charted(harbor()); s.PkgName = "logagent-1.0.0.tgz"; return s }(),
			[]string{`component "logagent": spec.component[0].chart`, "pkgName and chart are both set"}},
		{"not a version", "common", bad(func(ch *hotplugv1.ChartSource) { ch.Version = "latest" }),
			[]string{`spec.component[0].chart.version`, "neither a SemVer version"}},
		{"a cluster's version under common's digest", "member-1", hotplugv1.ComponentSpec{Name: "logagent", Chart: &hotplugv1.ChartSource{Version: "1.0.2"}},
			[]string{`hotplug "member-1": component "logagent": spec.component[0].chart.version`, `chart.digest comes from "common"`}},
		{"sha1 digest (schema)", "common", bad(func(ch *hotplugv1.ChartSource) { ch.Digest = "sha1:0123456789abcdef0123456789abcdef01234567" }),
			[]string{"spec.component[0].chart.digest"}},
		{"file scheme (schema)", "common", bad(func(ch *hotplugv1.ChartSource) { ch.Repository = "file:///etc/charts" }),
			[]string{"spec.component[0].chart.repository", "must start with oci://, https:// or http://"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := generation(tc.object)
			wantRefused(t, tc.name, replaceHotplug(ctx, c, tc.object, sync, tc.comp), tc.want...)
			if after := generation(tc.object); after != before {
				t.Errorf("%s changed (generation %d -> %d) although refused", tc.object, before, after)
			}
		})
	}
	t.Run("a cluster sets only a version and digest", func(t *testing.T) {
		err := replaceHotplug(ctx, c, "member-1", sync, hotplugv1.ComponentSpec{Name: "logagent", Chart: &hotplugv1.ChartSource{Version: "1.0.2",
			Digest: "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}})
		if err != nil {
			t.Errorf("refused: %v", err)
		}
	})
}
