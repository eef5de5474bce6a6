package hub

import (
	"context"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// countingReader counts the reads that reach r.
type countingReader struct {
	client.Reader
	gets, lists atomic.Int64
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets.Add(1)
	return c.Reader.Get(ctx, key, obj, opts...)
}

func (c *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	c.lists.Add(1)
	return c.Reader.List(ctx, list, opts...)
}

// store is a fake API holding clusters and Hotplugs.
func store(t *testing.T, clusters []string, hps ...*hotplugv1.Hotplug) *countingReader {
	t.Helper()
	c := fakeClient()
	for _, n := range clusters {
		if err := c.Create(context.Background(), &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hps {
		if err := c.Create(context.Background(), h.DeepCopy()); err != nil {
			t.Fatal(err)
		}
	}
	return &countingReader{Reader: c}
}

// TestValidateReads: a cluster's own Hotplug is validated against the cache
// once it has synced, with absences and refusals confirmed past it; before
// sync, and for `common`, against live reads. The cache here lags the live
// API as a watch does: what it lacks or holds stale was written a moment
// ago.
func TestValidateReads(t *testing.T) {
	commonAB := hp("common", dependent("a"), dependent("b"))
	commonA := hp("common", dependent("a"))
	member2 := hp("member-2", hotplugv1.ComponentSpec{Name: "b", DependsOn: []string{"a"}})
	cases := []struct {
		name   string
		cached *countingReader // nil: no cache
		synced bool
		live   *countingReader
		obj    *hotplugv1.Hotplug
		want   []string // substrings of the refusal; none: admitted
		// most reads that may reach live; -1: any
		maxLiveGets, maxLiveLists int64
	}{
		{"synced cache decides alone", store(t, []string{"member-1"}, commonAB), true, store(t, []string{"member-1"}, commonAB),
			hp("member-1", dependent("x", "b")), nil, 0, 0},
		{"before sync every read is live", store(t, nil), false, store(t, []string{"member-1"}, commonAB),
			hp("member-1", dependent("x", "b")), nil, 2, 0},
		{"a Cluster created a moment ago is confirmed past the cache", store(t, nil, commonAB), true, store(t, []string{"member-1"}, commonAB),
			hp("member-1", dependent("x", "b")), nil, 1, 0},
		{"a refusal against a stale common is confirmed live", store(t, []string{"member-1"}, commonA), true, store(t, []string{"member-1"}, commonAB),
			hp("member-1", dependent("x", "b")), nil, 2, 0},
		{"a real fault is refused after the live check", store(t, []string{"member-1"}, commonAB), true, store(t, []string{"member-1"}, commonAB),
			hp("member-1", dependent("x", "nope")), []string{`hotplug "member-1"`, `"nope": not a component`}, 2, 0},
		{"an unregistered cluster is refused", store(t, nil, commonAB), true, store(t, nil, commonAB),
			hp("ghost"), []string{`hotplug "ghost"`, "no Cluster"}, -1, 0},
		{"common sees a member's Hotplug the cache lacks", store(t, []string{"member-1"}, commonAB), true, store(t, []string{"member-1", "member-2"}, commonAB, member2),
			hp("common", dependent("a", "b"), dependent("b")), []string{`hotplug "common": component "a"`, "a -> b -> a", "(for cluster member-2)"}, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newValidator(tc.live, limits.Default(), 0)
			if tc.cached != nil {
				synced := tc.synced
				v.reads = fleetReader{cached: tc.cached, live: tc.live, synced: func() bool { return synced }}
			}
			verdict, err := v.validate(context.Background(), tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, verdict, tc.want)
			if tc.maxLiveGets >= 0 && tc.live.gets.Load() > tc.maxLiveGets {
				t.Errorf("%d live gets, want at most %d", tc.live.gets.Load(), tc.maxLiveGets)
			}
			if tc.live.lists.Load() > tc.maxLiveLists {
				t.Errorf("%d live lists, want at most %d", tc.live.lists.Load(), tc.maxLiveLists)
			}
			if !tc.synced && tc.cached != nil && tc.cached.gets.Load()+tc.cached.lists.Load() > 0 {
				t.Errorf("an unsynced cache was read")
			}
		})
	}
}
