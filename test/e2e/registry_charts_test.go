package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testenv"
	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// registryFixture is one cluster, a registry with TLS from a private CA and
// a login, the pull Secret an operator would create, and the agent's
// options with an on-disk chart cache that outlives agent restarts.
type registryFixture struct {
	t    *testing.T
	cfg  *rest.Config
	c    client.Client
	h    *helm.Client
	reg  *testregistry.Registry
	opts agent.Options
}

const (
	registryCluster = "pivot-cluster"
	pullSecret      = "harbor-pull"
)

func newRegistryFixture(t *testing.T) *registryFixture {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: registryCluster})
	f := &registryFixture{t: t, cfg: env.Cluster(registryCluster).Config, reg: testregistry.Start(t)}
	f.c = newClient(t, f.cfg)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agent.DefaultNamespace}}
	if err := f.c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	f.setSecret(testregistry.Password)
	for _, obj := range []client.Object{
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}},
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: registryCluster}},
		&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: registryCluster}},
	} {
		if err := f.c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if f.h, err = helm.New(f.cfg, helm.Options{}); err != nil {
		t.Fatal(err)
	}
	f.opts = agent.Options{ClusterName: registryCluster, ChartDir: t.TempDir(), ChartCacheDir: t.TempDir(),
		Resync: 5 * time.Minute, HeartbeatInterval: time.Hour, RetryBase: time.Second, RetryMax: 3 * time.Second}
	return f
}

// setSecret writes the pull Secret: basic-auth login and the registry's CA.
func (f *registryFixture) setSecret(password string) {
	f.t.Helper()
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: agent.DefaultNamespace, Name: pullSecret}}
	_, err := controllerutil.CreateOrUpdate(context.Background(), f.c, sec, func() error {
		sec.Type = corev1.SecretTypeBasicAuth
		sec.Data = map[string][]byte{"username": []byte(testregistry.Username), "password": []byte(password), "ca.crt": f.reg.CA.PEM}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// chart is a component whose chart is logagent at version in the registry.
func (f *registryFixture) chart(name, version string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Namespace: name, Status: hotplugv1.StatusEnabled,
		Chart: &hotplugv1.ChartSource{Repository: f.reg.Repository(), Name: "logagent", Version: version,
			SecretRef: &hotplugv1.SecretReference{Name: pullSecret}}}
}

// setCommon replaces common's components.
func (f *registryFixture) setCommon(comps ...hotplugv1.ComponentSpec) {
	f.t.Helper()
	editHotplug(f.t, f.c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) { s.Component = comps })
}

// component returns the cluster's report of component name and the phase.
func (f *registryFixture) component(name string) (hotplugv1.ComponentStatus, string) {
	hp := getHotplug(f.t, f.c, registryCluster)
	for _, cs := range hp.Status.Components {
		if cs.Name == name {
			return cs, hp.Status.Phase
		}
	}
	return hotplugv1.ComponentStatus{}, hp.Status.Phase
}

// waitComponent waits until component name's report satisfies ok.
func (f *registryFixture) waitComponent(what, name string, ok func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool) hotplugv1.ComponentStatus {
	f.t.Helper()
	var cs hotplugv1.ComponentStatus
	testenv.Eventually(f.t, 90*time.Second, what, func() (bool, string) {
		cs, _ = f.component(name)
		ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
		return ready != nil && ok(cs, ready), fmt.Sprintf("%s %s digest %s revision %d: %s (Ready %v)", cs.Chart, cs.ChartVersion, cs.ChartDigest, cs.Revision, cs.Message, ready)
	})
	return cs
}

// release returns the component's release (revision, chart version).
func (f *registryFixture) release(name string) *helm.Release {
	f.t.Helper()
	r, err := f.h.Get(context.Background(), name, name)
	if err != nil {
		f.t.Fatalf("release %s/%s: %v", name, name, err)
	}
	return r
}

func running(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
	return ready.Status == metav1.ConditionTrue && ready.Reason == hotplugv1.ReasonDeployed
}

// TestAgentChartsFromRegistry drives one agent through charts in an OCI
// registry (TLS from a private CA, basic auth from a Secret): install, a
// version edit upgrades, status says version and digest, a restarted agent
// and a second component on the same chart pull nothing, the registry
// stopped leaves the release running and says so (through an agent restart
// too), and once it is back the pending edit converges with no manual step.
func TestAgentChartsFromRegistry(t *testing.T) {
	f := newRegistryFixture(t)
	f.opts.Resync = 2 * time.Second
	d100 := f.reg.Push(t, "configmap", "logagent", "1.0.0")
	d101 := f.reg.Push(t, "configmap", "logagent", "1.0.1")

	f.setCommon(f.chart("logagent", "1.0.0"))
	a := testenv.RunAgent(t, f.cfg, f.opts)
	cs := f.waitComponent("logagent 1.0.0 runs from the registry", "logagent", running)
	if cs.ChartVersion != "1.0.0" || cs.ChartDigest != d100 {
		t.Errorf("status says %s %s, want 1.0.0 %s", cs.ChartVersion, cs.ChartDigest, d100)
	}
	installPulls := f.reg.BlobGets.Load()
	if installPulls == 0 {
		t.Fatal("the registry served no blob: the install did not come from it")
	}
	// No-op resyncs (every 2 s here) of an exact version ask the registry
	// nothing at all: no manifest, no blob.
	manifests := f.reg.Manifests.Load()
	time.Sleep(3 * f.opts.Resync)
	if b, m := f.reg.BlobGets.Load()-installPulls, f.reg.Manifests.Load()-manifests; b != 0 || m != 0 {
		t.Errorf("%v of no-op resyncs asked the registry %d manifests and %d blobs, want none", 3*f.opts.Resync, m, b)
	}

	// A restarted agent with its cache pulls nothing and changes nothing.
	a.Stop()
	a = testenv.RunAgent(t, f.cfg, f.opts)
	// A second component on the same chart and version is served from the
	// cache too.
	f.setCommon(f.chart("logagent", "1.0.0"), f.chart("logagent2", "1.0.0"))
	f.waitComponent("logagent2 runs from the cached package", "logagent2", running)
	if got := f.reg.BlobGets.Load(); got != installPulls {
		t.Errorf("agent restart and a second component on one chart downloaded %d blobs, want 0", got-installPulls)
	}
	if r := f.release("logagent"); r.Revision != 1 {
		t.Errorf("the restart changed logagent: revision %d", r.Revision)
	}

	// Editing chart.version upgrades.
	f.setCommon(f.chart("logagent", "1.0.1"), f.chart("logagent2", "1.0.0"))
	cs = f.waitComponent("logagent upgraded to 1.0.1", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return running(cs, ready) && cs.ChartVersion == "1.0.1"
	})
	if cs.ChartDigest != d101 || cs.Revision != 2 {
		t.Errorf("after the upgrade: digest %s revision %d, want %s and 2", cs.ChartDigest, cs.Revision, d101)
	}

	// The registry stops; an edit to a version never pulled cannot be
	// served: the release keeps running 1.0.1 and the status says why.
	f.reg.Stop()
	f.setCommon(f.chart("logagent", "1.0.2"), f.chart("logagent2", "1.0.0"))
	failing := func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return ready.Reason == hotplugv1.ReasonChartSourceFailing && strings.Contains(cs.Message, "registry unreachable") &&
			strings.Contains(cs.Message, f.reg.Repository()+"/logagent:1.0.2")
	}
	f.waitComponent("the status says the registry is unreachable", "logagent", failing)
	if r := f.release("logagent"); r.Revision != 2 || r.ChartVersion != "1.0.1" || r.Status != "deployed" {
		t.Errorf("with the registry stopped the release is %s revision %d %s, want 1.0.1 revision 2 deployed", r.ChartVersion, r.Revision, r.Status)
	}
	// An agent restarted while the registry is down keeps everything.
	a.Stop()
	testenv.RunAgent(t, f.cfg, f.opts)
	cs = f.waitComponent("after a restart the status still says the registry is unreachable", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return strings.Contains(cs.Message, "registry unreachable")
	})
	if ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady); ready.Status == metav1.ConditionTrue {
		t.Errorf("a component whose new version cannot be pulled is Ready: %+v", ready)
	}
	for _, name := range []string{"logagent", "logagent2"} {
		if r := f.release(name); r.Status != "deployed" {
			t.Errorf("%s is %s after an agent restart with the registry stopped", name, r.Status)
		}
	}
	if cs2, _ := f.component("logagent2"); cs2.ChartVersion != "1.0.0" {
		t.Errorf("logagent2 (cached 1.0.0) reports %q with the registry stopped", cs2.ChartVersion)
	}

	// The registry is back with 1.0.2: the edit converges by itself.
	f.reg.Restart(t)
	d102 := f.reg.Push(t, "configmap", "logagent", "1.0.2")
	cs = f.waitComponent("logagent converges to 1.0.2 once the registry is back", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return running(cs, ready) && cs.ChartVersion == "1.0.2"
	})
	if cs.ChartDigest != d102 || cs.Revision != 3 {
		t.Errorf("after the registry came back: digest %s revision %d, want %s and 3", cs.ChartDigest, cs.Revision, d102)
	}
}

// TestAgentChartRefusals: a wrong password fails the component it was
// first pulled for, naming the Secret; a digest pin that does not match
// fails naming both digests and leaves the running release as it is; the
// other component is untouched throughout.
func TestAgentChartRefusals(t *testing.T) {
	f := newRegistryFixture(t)
	f.reg.Push(t, "configmap", "logagent", "1.0.0")
	d101 := f.reg.Push(t, "configmap", "logagent", "1.0.1")
	f.setCommon(f.chart("steady", "1.0.0"))
	testenv.RunAgent(t, f.cfg, f.opts)
	f.waitComponent("steady runs", "steady", running)

	f.setSecret("wrong-password")
	f.setCommon(f.chart("steady", "1.0.0"), f.chart("fresh", "1.0.1"))
	cs := f.waitComponent("fresh fails naming the Secret", "fresh", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return ready.Status == metav1.ConditionFalse && ready.Reason == hotplugv1.ReasonPackageError
	})
	for _, want := range []string{"component fresh", "refused the credentials", "Secret " + agent.DefaultNamespace + "/" + pullSecret} {
		if !strings.Contains(cs.Message, want) {
			t.Errorf("message %q does not say %q", cs.Message, want)
		}
	}
	if strings.Contains(cs.Message, "wrong-password") {
		t.Errorf("the message holds the password: %q", cs.Message)
	}
	if _, err := f.h.Get(context.Background(), "fresh", "fresh"); err == nil {
		t.Error("fresh was installed with a refused login")
	}

	// Pinned to 1.0.1's digest while asking for 1.0.0: refused, and the
	// running steady release (1.0.0) stays.
	f.setSecret(testregistry.Password)
	pinned := f.chart("steady", "1.0.0")
	pinned.Chart.Digest = d101
	f.setCommon(pinned)
	cs = f.waitComponent("the mismatched pin fails naming the digests", "steady", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return ready.Reason == hotplugv1.ReasonPackageError && strings.Contains(cs.Message, "digest mismatch")
	})
	if !strings.Contains(cs.Message, d101) {
		t.Errorf("the mismatch message does not name the pinned digest %s: %q", d101, cs.Message)
	}
	if r := f.release("steady"); r.Revision != 1 || r.ChartVersion != "1.0.0" || r.Status != "deployed" {
		t.Errorf("the refused pin changed steady: %s revision %d %s", r.ChartVersion, r.Revision, r.Status)
	}
}

// TestAgentChartRangeFromHelmRepository: a range in a Helm repository
// (HTTPS from a private CA, no login: a Secret with only ca.crt) installs
// the highest matching version, and the next matching version is picked up
// within one poll interval after it is published, with no edit.
func TestAgentChartRangeFromHelmRepository(t *testing.T) {
	f := newRegistryFixture(t)
	repo := testregistry.StartHelmRepo(t)
	repo.Publish(t, "logagent", "1.0.0")
	repo.Publish(t, "logagent", "1.1.0")
	repo.Publish(t, "logagent", "2.0.0")
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: agent.DefaultNamespace, Name: "repo-ca"},
		Data: map[string][]byte{"ca.crt": repo.CA.PEM}}
	if err := f.c.Create(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	f.setCommon(hotplugv1.ComponentSpec{Name: "logagent", Namespace: "logagent", Status: hotplugv1.StatusEnabled,
		Chart: &hotplugv1.ChartSource{Repository: repo.URL, Name: "logagent", Version: ">=1.0.0 <2.0.0",
			SecretRef: &hotplugv1.SecretReference{Name: "repo-ca"}}})
	const poll = 3 * time.Second
	f.opts.ChartPollInterval = poll
	testenv.RunAgent(t, f.cfg, f.opts)
	f.waitComponent("the highest matching version runs", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return running(cs, ready) && cs.ChartVersion == "1.1.0"
	})
	d := repo.Publish(t, "logagent", "1.2.0")
	published := time.Now()
	cs := f.waitComponent("the next matching version is picked up", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return running(cs, ready) && cs.ChartVersion == "1.2.0"
	})
	t.Logf("1.2.0 running %v after it was published (poll interval %v)", time.Since(published).Round(100*time.Millisecond), poll)
	if cs.ChartDigest != d {
		t.Errorf("digest %s, want %s", cs.ChartDigest, d)
	}
	if r := f.release("logagent"); r.Revision != 2 {
		t.Errorf("release revision %d, want 2 (install, one upgrade)", r.Revision)
	}
}

// TestAgentChartProvenance: with chart.verify (provider helm, the keyring
// in a Secret), a package signed by that key installs; an upgrade to a
// version signed by another key, or not signed, fails naming the reference
// and the running release stays as it is.
func TestAgentChartProvenance(t *testing.T) {
	f := newRegistryFixture(t)
	ours, theirs := testregistry.NewSigner(t, "fleet"), testregistry.NewSigner(t, "stranger")
	f.reg.PushSigned(t, ours, "configmap", "logagent", "1.0.0")
	f.reg.PushSigned(t, theirs, "configmap", "logagent", "1.0.1")
	f.reg.Push(t, "configmap", "logagent", "1.0.2")
	verified := f.verifiedBy(hotplugv1.VerifyHelm, "keyring.gpg", ours.Keyring)
	f.setCommon(verified("1.0.0"))
	testenv.RunAgent(t, f.cfg, f.opts)
	f.waitComponent("the signed 1.0.0 runs", "logagent", running)
	for version, why := range map[string]string{"1.0.1": "signature invalid", "1.0.2": "not signed"} {
		f.setCommon(verified(version))
		cs := f.waitComponent(version+" is refused", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
			return ready.Reason == hotplugv1.ReasonPackageError && strings.Contains(cs.Message, "logagent:"+version)
		})
		if !strings.Contains(cs.Message, why) {
			t.Errorf("%s: message %q does not say %q", version, cs.Message, why)
		}
		if r := f.release("logagent"); r.Revision != 1 || r.ChartVersion != "1.0.0" || r.Status != "deployed" {
			t.Errorf("after %s was refused the release is %s revision %d %s", version, r.ChartVersion, r.Revision, r.Status)
		}
	}
}

// TestAgentChartCosign: with chart.verify provider cosign (cosign.pub in a
// Secret), a chart whose manifest that key signed installs, in cosign v3's
// bundle format, and upgrades to one signed in cosign v2's .sig format; a
// version signed by another key is refused naming the reference, and the
// running release stays as it is.
func TestAgentChartCosign(t *testing.T) {
	f := newRegistryFixture(t)
	ours, theirs := testregistry.NewCosignSigner(t), testregistry.NewCosignSigner(t)
	for _, v := range []string{"1.0.0", "1.0.1", "1.0.2"} {
		f.reg.Push(t, "configmap", "logagent", v)
	}
	f.reg.CosignSignBundle(t, ours, "logagent", "1.0.0")
	f.reg.CosignSignBundle(t, theirs, "logagent", "1.0.1")
	f.reg.CosignSignTag(t, ours, "logagent", "1.0.2")
	verified := f.verifiedBy(hotplugv1.VerifyCosign, "cosign.pub", ours.PublicPEM)
	f.setCommon(verified("1.0.0"))
	testenv.RunAgent(t, f.cfg, f.opts)
	f.waitComponent("the signed 1.0.0 runs", "logagent", running)
	f.setCommon(verified("1.0.1"))
	cs := f.waitComponent("1.0.1 (another key) is refused", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return ready.Reason == hotplugv1.ReasonPackageError && strings.Contains(cs.Message, "logagent:1.0.1")
	})
	if !strings.Contains(cs.Message, "signature invalid") || !strings.Contains(cs.Message, "verifies with cosign.pub") {
		t.Errorf("1.0.1: message %q does not say the signature does not verify", cs.Message)
	}
	if r := f.release("logagent"); r.Revision != 1 || r.ChartVersion != "1.0.0" || r.Status != "deployed" {
		t.Errorf("after 1.0.1 was refused the release is %s revision %d %s", r.ChartVersion, r.Revision, r.Status)
	}
	f.setCommon(verified("1.0.2"))
	f.waitComponent("1.0.2 (cosign v2 signature) runs", "logagent", func(cs hotplugv1.ComponentStatus, ready *metav1.Condition) bool {
		return running(cs, ready) && cs.ChartVersion == "1.0.2"
	})
}

// verifiedBy creates the verify Secret "<provider>-key" holding key as
// file and returns logagent at a version with chart.verify naming it.
func (f *registryFixture) verifiedBy(provider, file string, key []byte) func(version string) hotplugv1.ComponentSpec {
	f.t.Helper()
	name := provider + "-key"
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: agent.DefaultNamespace, Name: name}, Data: map[string][]byte{file: key}}
	if err := f.c.Create(context.Background(), sec); err != nil {
		f.t.Fatal(err)
	}
	return func(version string) hotplugv1.ComponentSpec {
		c := f.chart("logagent", version)
		c.Chart.Verify = &hotplugv1.ChartVerify{Provider: provider, SecretRef: &hotplugv1.SecretReference{Name: name}}
		return c
	}
}
