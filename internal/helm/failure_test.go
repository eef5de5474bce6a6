package helm

import (
	"errors"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

func TestInstallFailures(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	tests := []struct {
		name    string
		chart   *chartv2.Chart
		values  map[string]any
		wantErr []string
	}{
		{name: "badtemplate", chart: chart(t, "badtemplate", "bad", "0.1.0"), wantErr: []string{"badtemplate always fails"}},
		{name: "schema-type", chart: chart(t, "schema", "typed", "0.1.0"), values: map[string]any{"replicaCount": "x"},
			wantErr: []string{"schema", "replicaCount"}},
		{name: "schema-minimum", chart: chart(t, "schema", "minimum", "0.1.0"), values: map[string]any{"replicaCount": 0},
			wantErr: []string{"schema", "replicaCount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			rel, err := e.client.Install(ctx, Request{Name: tt.name, Namespace: "fail", Chart: tt.chart, Values: tt.values})
			if err == nil {
				t.Fatalf("Install succeeded: %+v", rel)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			got, err := e.client.Get(ctx, "fail", tt.name)
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("after failed install Get = %+v, %v; want ErrNotFound", got, err)
			}
		})
	}
	// An install failing at apply time leaves a failed revision 1; uninstall then install retries it.
	ctx := testCtx(t)
	if _, err := e.client.Install(ctx, Request{Name: "applyfail", Namespace: "fail", Chart: invalidName(t, "1.0.0")}); err == nil ||
		!strings.Contains(err.Error(), "Invalid_Name") {
		t.Fatalf("Install of invalid object error = %v", err)
	}
	wantRelease(t, e.mustGet(t, "fail", "applyfail"), 1, "failed")
	if err := e.client.Uninstall(ctx, "fail", "applyfail"); err != nil {
		t.Fatalf("Uninstall failed release: %v", err)
	}
	retried, err := e.client.Install(ctx, Request{Name: "applyfail", Namespace: "fail", Chart: chart(t, "configmap", "applyfail", "1.0.0")})
	if err != nil {
		t.Fatalf("reinstall: %v", err)
	}
	wantRelease(t, retried, 1, "deployed")

	// The schema chart installs with valid values.
	rel, err := e.client.Install(testCtx(t), Request{Name: "valid", Namespace: "fail", Chart: chart(t, "schema", "valid", "0.1.0"), Values: map[string]any{"replicaCount": 3}})
	if err != nil {
		t.Fatalf("valid schema install: %v", err)
	}
	wantRelease(t, rel, 1, "deployed")
}

// invalidName returns the configmap chart plus a template the API server
// rejects (an invalid object name): it passes rendering and client-side
// checks, so Helm records the new revision before failing.
func invalidName(t *testing.T, version string) *chartv2.Chart {
	ch := chart(t, "configmap", "logagent", version)
	ch.Templates = append(ch.Templates, &common.File{Name: "templates/invalid.yaml", Data: []byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Invalid_Name\ndata: {}\n")})
	return ch
}

func TestFailedUpgradeKeepsServing(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	waiting, err := New(e.cfg, Options{Wait: true, Log: e.client.log, Timeout: e.client.opts.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		client *Client
	}{{"nowait", e.client}, {"wait", waiting}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			c := tc.client
			ns := "up-" + tc.name
			v1 := map[string]any{"greeting": "v1"}
			if _, err := c.Install(ctx, Request{Name: "logagent", Namespace: ns, Chart: chart(t, "configmap", "logagent", "1.0.0"), Values: v1}); err != nil {
				t.Fatalf("Install: %v", err)
			}

			// Render failure: nothing recorded, revision 1 serves.
			_, err := c.Upgrade(ctx, Request{Name: "logagent", Namespace: ns, Chart: chart(t, "badtemplate", "logagent", "2.0.0"), Values: map[string]any{"greeting": "v2"}})
			if err == nil || !strings.Contains(err.Error(), "badtemplate always fails") {
				t.Fatalf("Upgrade to badtemplate error = %v", err)
			}
			wantRelease(t, e.mustGet(t, ns, "logagent"), 1, "deployed")
			if got, version := e.configMapValues(t, ns, "logagent"); got["greeting"] != "v1" || version != "1.0.0" {
				t.Fatalf("configmap after failed upgrade = %v %s", got, version)
			}

			// Apply failure: revision 2 recorded and failed, rolled back to 1 as revision 3.
			_, err = c.Upgrade(ctx, Request{Name: "logagent", Namespace: ns, Chart: invalidName(t, "3.0.0"), Values: map[string]any{"greeting": "v3"}})
			if err == nil || !strings.Contains(err.Error(), "Invalid_Name") || !strings.Contains(err.Error(), "rolled back to revision 1") {
				t.Fatalf("Upgrade with invalid object error = %v", err)
			}
			g := e.mustGet(t, ns, "logagent")
			wantRelease(t, g, 3, "deployed")
			if g.ChartVersion != "1.0.0" || g.Values["greeting"] != "v1" {
				t.Errorf("rolled back release = %s %v", g.ChartVersion, g.Values)
			}
			if got, version := e.configMapValues(t, ns, "logagent"); got["greeting"] != "v1" || version != "1.0.0" {
				t.Errorf("configmap after rollback = %v %s", got, version)
			}
			hist, err := c.History(ctx, ns, "logagent")
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 3 || hist[1].Status != "failed" {
				t.Errorf("history = %v", revisions(hist))
			}

			// And it upgrades fine afterwards.
			up, err := c.Upgrade(ctx, Request{Name: "logagent", Namespace: ns, Chart: chart(t, "configmap", "logagent", "1.1.0"), Values: map[string]any{"greeting": "v4"}})
			if err != nil {
				t.Fatalf("Upgrade after rollback: %v", err)
			}
			wantRelease(t, up, 4, "deployed")
		})
	}
}
