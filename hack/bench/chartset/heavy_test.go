package chartset

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// TestHeavySetHasTheRealShape checks the heavy set against the figures of
// issue 21: ten CRDs of 3.8 to 328 KB, about 1.3 MB in all, the largest
// four at the sizes measured; the monitoring package about 5 MB unpacked
// with 30 dashboards; the admission webhook's hooks with their phases,
// weights and delete policy; about 188 objects in the set.
func TestHeavySetHasTheRealShape(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir); err != nil {
		t.Fatal(err)
	}
	comps := Heavy.Components()
	unpacked, err := unpackedBytes(filepath.Join(dir, comps[0].Pkg))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("monitoring: %d bytes unpacked", unpacked)
	if unpacked < 4_800_000 || unpacked > 5_300_000 {
		t.Errorf("monitoring: %d bytes unpacked, want about 5.0 MB", unpacked)
	}
	loader := chartpkg.NewLoader(dir, limits.Limits{})
	total := 0
	for _, c := range comps {
		pkg, err := loader.Load(c.Pkg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Render(context.Background(), pkg.Chart, c.Name, c.Namespace, Values(1))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := manifest.Parse([]byte(r.Manifest))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		total += len(objs)
		t.Logf("%s: %d objects, %d CRDs", c.Name, len(objs), len(r.CRDs))
		if c.Name != "monitoring" {
			continue
		}
		checkHeavyCRDs(t, r.CRDs)
		dashboards := 0
		for _, o := range objs {
			if o.GetKind() == "ConfigMap" && o.GetLabels()["grafana_dashboard"] == "1" {
				dashboards++
			}
		}
		if dashboards != len(HeavyDashboards) || len(pkg.Chart.Dependencies()) != 3 {
			t.Errorf("monitoring: %d dashboard ConfigMaps, %d subcharts; want %d, 3", dashboards, len(pkg.Chart.Dependencies()), len(HeavyDashboards))
		}
		checkAdmissionHooks(t, objs)
	}
	if total < 180 || total > 196 {
		t.Errorf("%d objects in the set, want about 188", total)
	}
}

// checkHeavyCRDs checks the CRD files' count and sizes.
func checkHeavyCRDs(t *testing.T, crds []string) {
	t.Helper()
	sizes := make([]int, 0, len(crds))
	sum := 0
	for _, crd := range crds {
		if _, err := manifest.Parse([]byte(crd)); err != nil {
			t.Errorf("CRD of %d bytes: %v", len(crd), err)
		}
		sizes = append(sizes, len(crd))
		sum += len(crd)
	}
	sort.Ints(sizes)
	t.Logf("CRD sizes %v, %d bytes in all", sizes, sum)
	if len(sizes) != 10 {
		t.Fatalf("%d CRDs, want 10", len(sizes))
	}
	if sizes[0] < 3700 || sizes[0] > 4500 || sizes[9] < 328<<10 || sizes[9] > 340<<10 {
		t.Errorf("CRD sizes from %d to %d bytes, want 3.8 KB to 328 KB", sizes[0], sizes[9])
	}
	for i, want := range []int{254 << 10, 247 << 10, 122 << 10} {
		if got := sizes[8-i]; got < want || got > want+12<<10 {
			t.Errorf("CRD number %d by size: %d bytes, want about %d", i+2, got, want)
		}
	}
	if sum < 1_250_000 || sum > 1_400_000 {
		t.Errorf("CRDs: %d bytes in all, want about 1.3 MB", sum)
	}
}

// checkAdmissionHooks checks kube-prometheus-stack's admission webhook
// hook pattern: the create Job before install and upgrade, the patch Job
// after them, their ServiceAccount and RBAC in all four phases ordered
// before the Jobs, every hook deleted before creation and on success.
func checkAdmissionHooks(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	byKind := map[string]int{}
	jobs := map[string]string{}
	for _, o := range objs {
		a := o.GetAnnotations()
		phases := a["helm.sh/hook"]
		if phases == "" {
			continue
		}
		byKind[o.GetKind()]++
		if a["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
			t.Errorf("%s %s: delete policy %q", o.GetKind(), o.GetName(), a["helm.sh/hook-delete-policy"])
		}
		weight, err := strconv.Atoi(a["helm.sh/hook-weight"])
		if err != nil {
			t.Errorf("%s %s: hook weight: %v", o.GetKind(), o.GetName(), err)
		}
		if o.GetKind() == "Job" {
			jobs[o.GetName()] = phases
			if weight != 0 {
				t.Errorf("Job %s: weight %d, want 0", o.GetName(), weight)
			}
			continue
		}
		if phases != "pre-install,pre-upgrade,post-install,post-upgrade" || weight >= 0 {
			t.Errorf("%s %s: hooks %q weight %d, want every phase, before the Jobs", o.GetKind(), o.GetName(), phases, weight)
		}
	}
	if jobs["monitoring-admission-create"] != "pre-install,pre-upgrade" || jobs["monitoring-admission-patch"] != "post-install,post-upgrade" || len(jobs) != 2 {
		t.Errorf("hook Jobs %v, want the create Job pre-install,pre-upgrade and the patch Job post-install,post-upgrade", jobs)
	}
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} {
		if byKind[k] != 1 {
			t.Errorf("%d hook %s objects, want 1", byKind[k], k)
		}
	}
}
