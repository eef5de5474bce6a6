package helm

import (
	"testing"
)

// TestRespectOption checks that Options.Respect decides whose fields an
// upgrade leaves alone: a controller the built-in list does not know
// (kubebuilder's default manager name "manager") keeps the replicas it set
// once it is respected, and loses them (forced) while it is not.
func TestRespectOption(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	respecting, err := New(e.cfg, Options{Log: e.client.log, Timeout: e.client.opts.Timeout,
		Respect: func(m string) bool { return m == "manager" }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ns string
		client   *Client
		replicas int32
	}{
		{"default list", "default", e.client, 1},
		{"manager respected", "respected", respecting, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			ns := tc.ns
			e.installWeb(ctx, t, ns, "1.27.0")
			e.scale(ctx, t, ns, "web", 3, "manager")
			up, err := tc.client.Upgrade(ctx, webRequest(t, ns, "1.1.0", "1.28.0", nil))
			if err != nil {
				t.Fatalf("Upgrade: %v", err)
			}
			wantRelease(t, up, 2, "deployed")
			e.wantWeb(ctx, t, ns, tc.replicas, "nginx:1.28.0")
		})
	}
}
