package examples_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubecube-io/hotplug/charts/examples"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/render"
)

// rendered renders every enabled component of cluster, with the seed's two
// Hotplugs merged as the agent merges them, from the packaged examples.
func rendered(t *testing.T, chartDir, cluster string) map[string]*unstructured.Unstructured {
	t.Helper()
	var docs []render.Document
	for _, name := range samples.Names() {
		d, err := render.Read(bytes.NewReader(samples.MustRead(name)), name)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	common, own, err := render.Select(docs, cluster)
	if err != nil {
		t.Fatal(err)
	}
	view := render.Effective(cluster, common, own)
	if err := view.Err(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := view.WriteManifests(context.Background(), &buf, chartDir); err != nil {
		t.Fatalf("%s: %v", cluster, err)
	}
	objs, err := manifest.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("%s: parsing rendered manifests: %v\n%s", cluster, err, buf.String())
	}
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		out[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
	}
	return out
}

func packaged(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	paths, err := examples.WriteAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(examples.Packages) {
		t.Fatalf("wrote %v", paths)
	}
	return dir
}

func TestPackagesMatchSeedNames(t *testing.T) {
	dir := packaged(t)
	want := map[string][2]string{
		"logseer-v1.0.0.tgz":             {"logseer", "1.0.0"},
		"logagent-v1.0.0.tgz":            {"logagent", "1.0.0"},
		"kubecube-monitoring-15.4.7.tgz": {"kubecube-monitoring", "15.4.7"},
		"thanos-3.18.0.tgz":              {"thanos", "3.18.0"},
	}
	for file, nv := range want {
		ch, err := loader.LoadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if ch.Metadata.Name != nv[0] || ch.Metadata.Version != nv[1] {
			t.Errorf("%s holds %s %s, want %s %s", file, ch.Metadata.Name, ch.Metadata.Version, nv[0], nv[1])
		}
		if len(ch.Templates) == 0 {
			t.Errorf("%s has no templates", file)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("chart dir holds %d entries, want %d (no scratch leftovers)", len(entries), len(want))
	}
}

func TestSeedValuesReachTheObjects(t *testing.T) {
	dir := packaged(t)
	for _, cluster := range []string{"pivot-cluster", "member-1"} {
		t.Run(cluster, func(t *testing.T) {
			objs := rendered(t, dir, cluster)
			onPivot := cluster == "pivot-cluster"

			ds := objs["DaemonSet/logagent/logagent"]
			if ds == nil {
				t.Fatalf("no logagent DaemonSet in %v", keys(objs))
			}
			c := container(t, ds)
			if !slices.Contains(stringSlice(c["args"]), "--cluster="+cluster) {
				t.Errorf("logagent args %v lack --cluster=%s", c["args"], cluster)
			}
			if env := envValue(c, "CLUSTER_NAME"); env != cluster {
				t.Errorf("logagent CLUSTER_NAME=%q, want %q", env, cluster)
			}

			cm := objs["ConfigMap/kubecube-monitoring/kubecube-monitoring-prometheus-config"]
			if cm == nil {
				t.Fatalf("no prometheus ConfigMap in %v", keys(objs))
			}
			text, _, _ := unstructured.NestedString(cm.Object, "data", "prometheus.yml")
			var prom struct {
				Global struct {
					ExternalLabels map[string]string `json:"external_labels"`
				} `json:"global"`
				RemoteWrite []struct {
					URL string `json:"url"`
				} `json:"remote_write"`
			}
			if err := yaml.Unmarshal([]byte(text), &prom); err != nil {
				t.Fatalf("prometheus.yml is not YAML: %v\n%s", err, text)
			}
			if prom.Global.ExternalLabels["cluster"] != cluster {
				t.Errorf("external_labels %v, want cluster=%s", prom.Global.ExternalLabels, cluster)
			}
			wantURL := "http://10.173.32.42:31291/api/v1/receive"
			if onPivot {
				wantURL = "http://thanos-receive:19291/api/v1/receive"
			}
			if len(prom.RemoteWrite) != 1 || prom.RemoteWrite[0].URL != wantURL {
				t.Errorf("remote_write %+v, want %s", prom.RemoteWrite, wantURL)
			}
			if objs["StatefulSet/kubecube-monitoring/kubecube-monitoring-prometheus"] == nil {
				t.Error("no prometheus StatefulSet")
			}
			if got := objs["Deployment/kubecube-monitoring/kubecube-monitoring-grafana"] != nil; got != onPivot {
				t.Errorf("grafana rendered=%v, want %v (grafana.enabled)", got, onPivot)
			}

			if got := objs["Deployment/logseer/logseer"] != nil && objs["Service/logseer/logseer"] != nil; got != onPivot {
				t.Errorf("logseer rendered=%v, want %v", got, onPivot)
			}
			sts := objs["StatefulSet/kubecube-monitoring/thanos-receive"]
			if (sts != nil) != onPivot {
				t.Fatalf("thanos rendered=%v, want %v", sts != nil, onPivot)
			}
			if onPivot {
				if n, _, _ := unstructured.NestedFieldNoCopy(sts.Object, "spec", "replicas"); fmt.Sprint(n) != "1" {
					t.Errorf("thanos replicas %v, want receive.replicaCount 1", n)
				}
				if args := stringSlice(container(t, sts)["args"]); !slices.Contains(args, "--receive.replication-factor=1") {
					t.Errorf("thanos args %v lack the replication factor", args)
				}
				svc := objs["Service/kubecube-monitoring/thanos-receive"]
				ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
				if !slices.ContainsFunc(ports, func(p any) bool { return fmt.Sprint(p.(map[string]any)["port"]) == "19291" }) {
					t.Errorf("thanos-receive ports %v lack 19291", ports)
				}
			}
		})
	}
}

func TestThanosRefusesImpossibleReplication(t *testing.T) {
	dir := t.TempDir()
	// A Hotplug that asks for replication factor 3 with one replica.
	common := []byte(`apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: kubecube-thanos
    namespace: kubecube-monitoring
    pkgName: thanos-3.18.0.tgz
    status: enabled
    env: |
      receive:
        replicaCount: 1
        replicationFactor: 3
`)
	if _, err := examples.WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	docs, err := render.Read(bytes.NewReader(common), "common.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, own, _ := render.Select(docs, "pivot-cluster")
	err = render.Effective("pivot-cluster", c, own).WriteManifests(context.Background(), &bytes.Buffer{}, dir)
	if err == nil || !strings.Contains(err.Error(), "replicationFactor") {
		t.Errorf("want a replicationFactor error, got %v", err)
	}
}

func container(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		t.Fatalf("%s/%s has no containers", o.GetKind(), o.GetName())
	}
	return cs[0].(map[string]any)
}

func envValue(c map[string]any, name string) string {
	env, _ := c["env"].([]any)
	for _, e := range env {
		m := e.(map[string]any)
		if m["name"] == name {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

func stringSlice(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func keys(m map[string]*unstructured.Unstructured) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
