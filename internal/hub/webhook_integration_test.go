package hub_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

const (
	burstMembers = 150
	burstWorkers = 16
)

func enabled(name string, on ...string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, DependsOn: on}
}

// TestWebhookFleet runs the hub's webhook against a real API server.
// A registration burst: burstMembers members each create their Cluster and,
// at once, their Hotplug (which names common's components, so that it is
// validated against common), burstWorkers at a time, with no retry: none
// is refused or times out, and the webhook lists neither Hotplugs nor
// Clusters per admission (it reads the hub's cache). Then an edit of common
// that closes a dependency cycle through a member's Hotplug created just
// before is refused, naming that member, every time.
func TestWebhookFleet(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	testenv.StoppableHub(t, cfg, hubOptions(t))
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{enabled("a"), enabled("b"), enabled("audit")}}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	// The hub's informers have listed once; later lists would be the
	// webhook's.
	testenv.Eventually(t, time.Minute, "the hub's informers listed", func() (bool, string) {
		m, err := apimetrics.Scrape(ctx, cfg)
		if err != nil {
			return false, err.Error()
		}
		return m.Get("LIST", "hotplugs", "") >= 1 && m.Get("LIST", "clusters", "") >= 1, ""
	})
	before, err := apimetrics.Scrape(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("registration burst", func(t *testing.T) {
		names := make(chan string)
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		start := time.Now()
		for range burstWorkers {
			wg.Go(func() {
				for name := range names {
					cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
					own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
						Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
							{Name: "audit", Status: hotplugv1.StatusEnabled, Env: "cluster: \"{{.cluster}}\"\n"}, enabled("own", "a", "b")}}}
					for _, o := range []client.Object{cl, own} {
						if err := c.Create(ctx, o); err != nil {
							mu.Lock()
							errs = append(errs, fmt.Errorf("%T %s: %w", o, name, err))
							mu.Unlock()
							break
						}
					}
				}
			})
		}
		for i := range burstMembers {
			names <- fmt.Sprintf("member-%03d", i)
		}
		close(names)
		wg.Wait()
		after, err := apimetrics.Scrape(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d := after.Sub(before)
		t.Logf("%d members registered in %s, %d failed; pivot requests meanwhile: LIST hotplugs %.0f, LIST clusters %.0f, GET hotplugs %.0f, GET clusters %.0f",
			burstMembers, time.Since(start).Round(time.Millisecond), len(errs), d.Get("LIST", "hotplugs", ""), d.Get("LIST", "clusters", ""),
			d.Get("GET", "hotplugs", ""), d.Get("GET", "clusters", ""))
		if err := errors.Join(errs...); err != nil {
			t.Errorf("valid registrations failed: %v", err)
		}
		// Before the cache, each admission listed both: 2 × burstMembers.
		if n := d.Get("LIST", "hotplugs", "") + d.Get("LIST", "clusters", ""); n > 4 {
			t.Errorf("%.0f lists of Hotplugs and Clusters during %d admissions; the webhook should read its cache", n, burstMembers)
		}
		// common comes from the cache too (a live read only confirms an
		// absence or a refusal, and none of these is refused).
		if n := d.Get("GET", "hotplugs", ""); n > burstMembers/10 {
			t.Errorf("%.0f live reads of Hotplugs during %d admissions; the webhook should read common from its cache", n, burstMembers)
		}
		bad := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-000-bad"}}
		if err := c.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "no Cluster") {
			t.Errorf("a Hotplug of an unregistered cluster: %v, want a refusal", err)
		}
	})

	t.Run("common edit sees a member created just before", func(t *testing.T) {
		for i := range 5 {
			name := fmt.Sprintf("late-%d", i)
			if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
				t.Fatal(err)
			}
			// No sync annotation: deleting it below uninstalls nothing.
			own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{enabled("b", "a")}}}
			if err := c.Create(ctx, own); err != nil {
				t.Fatal(err)
			}
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur, err := rollout.GetCommon(ctx, c)
				if err != nil {
					return err
				}
				cur.Spec.Component = []hotplugv1.ComponentSpec{enabled("a", "b"), enabled("b"), enabled("audit")}
				return c.Update(ctx, cur)
			})
			if err == nil || !strings.Contains(err.Error(), "a -> b -> a") || !strings.Contains(err.Error(), "(for cluster "+name+")") {
				t.Fatalf("round %d: edit of common closing a cycle through %s: %v, want a refusal naming it", i, name, err)
			}
			if err := c.Delete(ctx, own); err != nil {
				t.Fatal(err)
			}
		}
	})
}
