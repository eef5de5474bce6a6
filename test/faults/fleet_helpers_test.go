package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

const (
	pivotName  = "pivot-cluster"
	memberName = "member-1"
)

// fleetEnv is a pivot and one member (two kube-apiservers sharing one
// etcd), the hub, and both agents, the member's with its least-privilege
// identity on the pivot.
type fleetEnv struct {
	env           *controlplane.Environment
	pivot, member *controlplane.Cluster
	// pc and mc are admin clients of the pivot and the member.
	pc, mc client.Client
	// ph and mh read the releases of the pivot and the member.
	ph, mh *helm.Client
}

// startFleet starts the fleet with the seed configuration plus a member
// config on the pivot (so the member mirrors two objects), and waits until
// it has converged.
func startFleet(t *testing.T) *fleetEnv {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: pivotName}, controlplane.ClusterOptions{Name: memberName})
	f := &fleetEnv{env: env, pivot: env.Cluster(pivotName), member: env.Cluster(memberName)}
	f.pc, f.ph = clients(t, f.pivot.Config)
	f.mc, f.mh = clients(t, f.member.Config)
	ctx := context.Background()
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)

	if err := f.pc.Create(ctx, &clusterv1.Cluster{ObjectMeta: objectMeta(memberName), Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
		t.Fatal(err)
	}
	testenv.RunHub(t, f.pivot.Config, hub.Options{HeartbeatTimeout: 20 * time.Second, CheckPeriod: time.Second})
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, f.pc, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: memberName, Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "logagent", Env: "member: own\n"}}}}
	if err := f.pc.Create(ctx, own); err != nil {
		t.Fatal(err)
	}

	opts := agent.Options{ChartDir: chartDir, RetryBase: 500 * time.Millisecond, RetryMax: 2 * time.Second, HeartbeatInterval: 2 * time.Second}
	pivotOpts := opts
	pivotOpts.ClusterName = pivotName
	testenv.RunAgent(t, f.pivot.Config, pivotOpts)

	user := "hotplug-agent:" + memberName
	subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
	role, binding := access.MemberOnPivot(memberName, subject)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: heartbeat.DefaultNamespace}}
	for _, o := range []client.Object{ns, role, binding, access.RevisionsOnPivot(memberName, heartbeat.DefaultNamespace, subject)} {
		if err := f.pc.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	pivotAsMember, err := f.pivot.UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	uc, _ := clients(t, pivotAsMember)
	testenv.Eventually(t, 10*time.Second, "the member's identity may read common", func() (bool, string) {
		err := uc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{})
		return err == nil, fmt.Sprint(err)
	})
	memberOpts := opts
	memberOpts.ClusterName, memberOpts.PivotConfig = memberName, pivotAsMember
	testenv.RunAgent(t, f.member.Config, memberOpts)

	took := f.waitConverged(t, 2*time.Minute)
	t.Logf("fleet converged in %v", took.Round(100*time.Millisecond))
	return f
}

func clients(t *testing.T, cfg *rest.Config) (client.Client, *helm.Client) {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, h
}

// effective is the configuration the pivot's objects give cluster, with
// the agent's own merge: namespace/name -> values of every release it
// asks for. (desiredReleases is the same for the single-cluster tests,
// without values.)
func effective(ctx context.Context, pc client.Client, cluster string) (map[string]map[string]any, error) {
	common, own := &hotplugv1.Hotplug{}, &hotplugv1.Hotplug{}
	if err := pc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil {
		return nil, err
	}
	if err := pc.Get(ctx, client.ObjectKey{Name: cluster}, own); apierrors.IsNotFound(err) {
		own = nil
	} else if err != nil {
		return nil, err
	}
	return effectiveOf(cluster, common, own)
}

// effectiveOf is effective for given objects (own may be nil).
func effectiveOf(cluster string, common, own *hotplugv1.Hotplug) (map[string]map[string]any, error) {
	res := merge.Effective(cluster, common, own)
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("the configuration of %s is bad: %v", cluster, res.Errors)
	}
	out := map[string]map[string]any{}
	for _, comp := range res.Components {
		if comp.Enabled && comp.PkgName != "" {
			out[comp.Namespace+"/"+comp.Name] = comp.Values
		}
	}
	return out, nil
}

// releasesMatch tells whether h holds exactly the releases want names, all
// deployed with exactly the wanted values, and otherwise what differs.
func releasesMatch(ctx context.Context, h *helm.Client, want map[string]map[string]any) (bool, string) {
	rels, err := h.List(ctx, labels.Everything())
	if err != nil {
		return false, err.Error()
	}
	got := map[string]*helm.Release{}
	for _, r := range rels {
		if r.Status != "deployed" {
			return false, fmt.Sprintf("%s/%s is %s", r.Namespace, r.Name, r.Status)
		}
		got[r.Namespace+"/"+r.Name] = r
	}
	for k, values := range want {
		r := got[k]
		if r == nil {
			return false, "missing " + k
		}
		if w, g := canonical(values), canonical(r.Values); w != g {
			return false, fmt.Sprintf("%s has values %s, want %s", k, g, w)
		}
	}
	for k := range got {
		if want[k] == nil {
			return false, "extra " + k
		}
	}
	return true, ""
}

func canonical(v map[string]any) string {
	if v == nil {
		v = map[string]any{}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// releaseStamps is namespace/name -> revision/status/deployed-at of every
// release. An uninstall followed by a reinstall starts again at revision 1,
// so the revision alone (releaseRevisions) cannot show it; the time of the
// revision's action does.
func releaseStamps(ctx context.Context, h *helm.Client) (map[string]string, error) {
	rels, err := h.List(ctx, labels.Everything())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rels {
		out[r.Namespace+"/"+r.Name] = fmt.Sprintf("%d/%s/%s", r.Revision, r.Status, r.Since.UTC().Format(time.RFC3339Nano))
	}
	return out, nil
}

func mustStamps(t *testing.T, h *helm.Client) map[string]string {
	t.Helper()
	s, err := releaseStamps(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pivotConnected is the member's PivotConnected condition on its mirror of
// common, or nil.
func pivotConnected(ctx context.Context, mc client.Client) (*metav1.Condition, error) {
	hp := &hotplugv1.Hotplug{}
	if err := mc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(hp.Status.Conditions, agent.ConditionPivotConnected), nil
}

// agentStatusCurrent tells whether the agent's status of the Hotplug name
// in c says running for the object's current generation.
func agentStatusCurrent(ctx context.Context, c client.Client, where, name string) (bool, string) {
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
		return false, where + ": " + err.Error()
	}
	if hp.Status.ObservedGeneration != hp.Generation || hp.Status.Phase != hotplugv1.PhaseRunning {
		return false, fmt.Sprintf("%s: Hotplug %s is %s at generation %d/%d: %s", where, name, hp.Status.Phase, hp.Status.ObservedGeneration, hp.Generation, hp.Status.Message)
	}
	return true, ""
}

// mirrorCurrent tells whether the member's mirror of name copies the
// pivot's current generation of it.
func (f *fleetEnv) mirrorCurrent(ctx context.Context, name string) (bool, string) {
	src, dst := &hotplugv1.Hotplug{}, &hotplugv1.Hotplug{}
	if err := f.pc.Get(ctx, client.ObjectKey{Name: name}, src); err != nil {
		return false, "pivot: " + err.Error()
	}
	if err := f.mc.Get(ctx, client.ObjectKey{Name: name}, dst); err != nil {
		return false, "member: " + err.Error()
	}
	if g := dst.Annotations[hotplugv1.SourceGenerationAnnotation]; g != strconv.FormatInt(src.Generation, 10) {
		return false, fmt.Sprintf("the member's mirror of %s copies generation %s, the pivot has %d", name, g, src.Generation)
	}
	return true, ""
}

// converged tells whether the whole fleet is as the pivot's configuration
// says, and otherwise what is not yet.
func (f *fleetEnv) converged(ctx context.Context) (bool, string) {
	for _, cl := range []struct {
		name string
		h    *helm.Client
	}{{pivotName, f.ph}, {memberName, f.mh}} {
		want, err := effective(ctx, f.pc, cl.name)
		if err != nil {
			return false, err.Error()
		}
		if ok, why := releasesMatch(ctx, cl.h, want); !ok {
			return false, cl.name + ": " + why
		}
	}
	for _, name := range []string{hotplugv1.CommonName, memberName} {
		if ok, why := f.mirrorCurrent(ctx, name); !ok {
			return false, why
		}
		if ok, why := agentStatusCurrent(ctx, f.mc, memberName, name); !ok {
			return false, why
		}
	}
	for _, name := range []string{hotplugv1.CommonName, pivotName} {
		if ok, why := agentStatusCurrent(ctx, f.pc, pivotName, name); !ok {
			return false, why
		}
	}
	cond, err := pivotConnected(ctx, f.mc)
	if err != nil {
		return false, err.Error()
	}
	if cond == nil || cond.Status != metav1.ConditionTrue {
		return false, fmt.Sprintf("member: PivotConnected is %v", cond)
	}
	cl := &clusterv1.Cluster{}
	if err := f.pc.Get(ctx, client.ObjectKey{Name: memberName}, cl); err != nil {
		return false, err.Error()
	}
	if cl.Status.State != clusterv1.ClusterNormal || cl.Status.HotplugPhase != hotplugv1.PhaseRunning {
		return false, fmt.Sprintf("pivot: Cluster %s is %s (%s), hotplug %s", memberName, cl.Status.State, cl.Status.Reason, cl.Status.HotplugPhase)
	}
	return true, ""
}

// waitConverged waits until the fleet has converged and returns how long
// that took.
func (f *fleetEnv) waitConverged(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	testenv.Eventually(t, timeout, "the fleet converges", func() (bool, string) {
		return f.converged(context.Background())
	})
	return time.Since(start)
}
