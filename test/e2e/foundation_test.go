package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// TestFoundation checks, on one real kube-apiserver, that the CRDs install,
// the seed's samples apply unchanged, `kubectl get hotplug` has the seed's
// columns and the schema rejects bad input with the field named.
func TestFoundation(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cl := env.Cluster("pivot-cluster")
	c, err := kube.NewClient(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("samples apply unchanged", func(t *testing.T) {
		files, err := filepath.Glob("../../config/samples/*.yaml")
		if err != nil || len(files) != 3 {
			t.Fatalf("want 3 samples, got %v (%v)", files, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := manifest.Apply(ctx, c, data); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		var common hotplugv1.Hotplug
		if err := c.Get(ctx, client.ObjectKey{Name: "common"}, &common); err != nil {
			t.Fatal(err)
		}
		if got := len(common.Spec.Component); got != 5 {
			t.Errorf("common has %d components, want 5", got)
		}
		if common.Annotations[hotplugv1.SyncAnnotation] != "true" {
			t.Errorf("sync annotation lost: %v", common.Annotations)
		}
		var pivot hotplugv1.Hotplug
		if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, &pivot); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pivot.Spec.Component[1].Env, "thanos-receive:19291") {
			t.Errorf("env not preserved: %q", pivot.Spec.Component[1].Env)
		}
		var cluster clusterv1.Cluster
		if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, &cluster); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("table columns", func(t *testing.T) {
		for resource, want := range map[string][]string{
			"/apis/hotplug.kubecube.io/v1/hotplugs": {"NAME", "PHASE", "AGE"},
			// The seed's NAME STATE AGE, with the cluster's hotplug phase (multi-cluster issue).
			"/apis/cluster.kubecube.io/v1/clusters": {"NAME", "STATE", "HOTPLUG", "AGE"},
		} {
			cs, err := kubernetes.NewForConfig(cl.Config)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := cs.RESTClient().Get().AbsPath(resource).
				SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Raw()
			if err != nil {
				t.Fatal(err)
			}
			var table metav1.Table
			if err := json.Unmarshal(raw, &table); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, col := range table.ColumnDefinitions {
				if col.Priority == 0 { // what kubectl get prints without -o wide
					got = append(got, strings.ToUpper(col.Name))
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s columns = %v, want %v", resource, got, want)
			}
			if len(table.Rows) == 0 {
				t.Errorf("%s: no rows", resource)
			}
		}
	})

	t.Run("schema rejects bad input naming the field", func(t *testing.T) {
		cases := []struct {
			name, yaml, field string
		}{
			{"status Enabled", component("name: logagent\n    status: Enabled"), "spec.component[0].status"},
			{"status enable", component("name: logagent\n    status: enable"), "spec.component[0].status"},
			{"duplicate name", component("name: logagent\n  - name: logagent"), "spec.component"},
			{"upper-case name", component("name: LogAgent"), "spec.component[0].name"},
			{"bad namespace", component("name: logagent\n    namespace: Bad_NS"), "spec.component[0].namespace"},
		}
		for _, tc := range cases {
			objs, err := manifest.Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			// Both paths a user takes: create (kubectl create/apply) and server-side apply.
			createErr := c.Create(ctx, objs[0])
			applyErr := manifest.Apply(ctx, c, []byte(tc.yaml))
			for how, err := range map[string]error{"create": createErr, "apply": applyErr} {
				if err == nil {
					t.Errorf("%s: %s accepted", tc.name, how)
				} else if !strings.Contains(err.Error(), tc.field) {
					t.Errorf("%s: %s error does not name %s: %v", tc.name, how, tc.field, err)
				}
			}
			var hp hotplugv1.Hotplug
			if getErr := c.Get(ctx, client.ObjectKey{Name: "bad"}, &hp); getErr == nil {
				t.Errorf("%s: object was stored", tc.name)
			}
		}
	})
}

func component(body string) string {
	return "apiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata:\n  name: bad\nspec:\n  component:\n  - " + body + "\n"
}
