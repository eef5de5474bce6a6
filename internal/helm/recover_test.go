package helm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// storeRevision writes a revision straight into Helm's storage, as an agent
// that crashed mid-action would have left it.
func (e *testEnv) storeRevision(t *testing.T, namespace, name string, mutate func(prev *release.Release) *release.Release) {
	t.Helper()
	cfg, err := e.client.configuration(namespace)
	if err != nil {
		t.Fatal(err)
	}
	lasti, err := cfg.Releases.Last(name)
	if err != nil {
		t.Fatal(err)
	}
	last, err := toV1(lasti)
	if err != nil {
		t.Fatal(err)
	}
	next := mutate(last)
	if next.Version == last.Version {
		err = cfg.Releases.Update(next)
	} else {
		err = cfg.Releases.Create(next)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	const ns = "recover"

	// pending-upgrade over a deployed revision: roll back.
	v1 := map[string]any{"greeting": "v1"}
	installed, err := e.client.Install(ctx, Request{Name: "stuck", Namespace: ns, Chart: chart(t, "configmap", "stuck", "1.0.0"), Values: v1,
		Labels: map[string]string{"addon": "stuck"}})
	if err != nil {
		t.Fatal(err)
	}
	extra := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stuck-extra\n"
	e.storeRevision(t, ns, "stuck", func(prev *release.Release) *release.Release {
		next := *prev
		info := *prev.Info
		next.Info = &info
		next.Version = 2
		next.Manifest = prev.Manifest + "\n---\n" + extra
		next.Config = map[string]any{"greeting": "v2"}
		next.SetStatus(rcommon.StatusPendingUpgrade, "Preparing upgrade")
		next.Info.LastDeployed = time.Now().Add(-time.Hour) // older than the timeout: abandoned
		return &next
	})
	// The crashed upgrade had already created one of its objects.
	_, err = e.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: "stuck-extra", Namespace: ns,
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
		Annotations: map[string]string{"meta.helm.sh/release-name": "stuck", "meta.helm.sh/release-namespace": ns},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRelease(t, e.mustGet(t, ns, "stuck"), 2, "pending-upgrade")
	if _, err := e.client.Upgrade(ctx, Request{Name: "stuck", Namespace: ns, Chart: chart(t, "configmap", "stuck", "1.0.1")}); err == nil ||
		!strings.Contains(err.Error(), "in progress") {
		t.Fatalf("Upgrade of a pending release error = %v, want Helm's in-progress error", err)
	}

	rel, err := e.client.Recover(ctx, ns, "stuck")
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	wantRelease(t, rel, 3, "deployed")
	if rel.Digest != installed.Digest || rel.Labels["addon"] != "stuck" {
		t.Errorf("recovered release digest %s labels %v, want revision 1's (%s)", rel.Digest, rel.Labels, installed.Digest)
	}
	if e.configMap(t, ns, "stuck-extra") != nil {
		t.Errorf("object created by the interrupted upgrade was not removed")
	}
	hist, err := e.client.History(ctx, ns, "stuck")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[1].Status != "failed" {
		t.Errorf("history after recover = %v", revisions(hist))
	}

	// Recover is a no-op on a deployed release.
	again, err := e.client.Recover(ctx, ns, "stuck")
	if err != nil || again.Revision != 3 {
		t.Fatalf("Recover of deployed release = %+v, %v", again, err)
	}

	// pending-install without any deployed revision: uninstall.
	if _, err := e.client.Install(ctx, Request{Name: "fresh", Namespace: ns, Chart: chart(t, "configmap", "fresh", "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	e.storeRevision(t, ns, "fresh", func(prev *release.Release) *release.Release {
		prev.SetStatus(rcommon.StatusPendingInstall, "Initial install underway")
		prev.Info.LastDeployed = time.Now().Add(-time.Hour)
		return prev
	})
	rel, err = e.client.Recover(ctx, ns, "fresh")
	if err != nil || rel != nil {
		t.Fatalf("Recover of pending-install = %+v, %v; want nil, nil", rel, err)
	}
	if _, err := e.client.Get(ctx, ns, "fresh"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after recover Get error = %v, want ErrNotFound", err)
	}
	if e.configMap(t, ns, "fresh") != nil {
		t.Errorf("configmap of uninstalled release still exists")
	}

	// A recover waits for operations in flight on the same release in this client.
	unlock, err := e.client.locks.lock(context.Background(), ns+"/stuck")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200e6)
	defer cancel()
	if _, err := e.client.Recover(short, ns, "stuck"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Recover while locked error = %v, want deadline exceeded", err)
	}
	unlock()
}

// TestRecoverLeavesHeldReleaseAlone: a pending revision younger than the
// timeout may be someone else's action in flight (a person running helm):
// Recover does not touch it and says who holds it until when; once the
// revision is older than the timeout it is recovered.
func TestRecoverLeavesHeldReleaseAlone(t *testing.T) {
	t.Parallel()
	const timeout = time.Minute
	e := start(t, Options{Timeout: timeout})
	ctx := testCtx(t)
	const ns = "held"
	if _, err := e.client.Install(ctx, Request{Name: "mon", Namespace: ns, Chart: chart(t, "configmap", "mon", "1.0.0"), Values: map[string]any{"greeting": "v1"}}); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	e.storeRevision(t, ns, "mon", func(prev *release.Release) *release.Release {
		next := *prev
		info := *prev.Info
		next.Info = &info
		next.Version = 2
		next.Config = map[string]any{"greeting": "v2"}
		next.SetStatus(rcommon.StatusPendingUpgrade, "Preparing upgrade")
		next.Info.LastDeployed = started
		return &next
	})

	rel, err := e.client.Recover(ctx, ns, "mon")
	var held *HeldError
	if !errors.Is(err, ErrHeld) || !errors.As(err, &held) {
		t.Fatalf("Recover of a fresh pending release = %+v, %v; want a HeldError", rel, err)
	}
	if !held.Until.Equal(started.Add(timeout)) || !held.Release.Since.Equal(started) {
		t.Errorf("held since %s until %s, want %s until %s", held.Release.Since, held.Until, started, started.Add(timeout))
	}
	want := "release mon is pending-upgrade since " + started.UTC().Format(time.RFC3339) + " by another actor; left alone until " + started.Add(timeout).UTC().Format(time.RFC3339)
	if err.Error() != want {
		t.Errorf("error = %q\nwant %q", err, want)
	}
	wantRelease(t, e.mustGet(t, ns, "mon"), 2, "pending-upgrade")
	if hist, err := e.client.History(ctx, ns, "mon"); err != nil || len(hist) != 2 {
		t.Errorf("history after leaving it alone = %v, %v; want 2 revisions", revisions(hist), err)
	}

	// The same revision, now older than the timeout: recovered.
	e.storeRevision(t, ns, "mon", func(prev *release.Release) *release.Release {
		prev.Info.LastDeployed = time.Now().Add(-timeout - time.Second)
		return prev
	})
	rel, err = e.client.Recover(ctx, ns, "mon")
	if err != nil {
		t.Fatalf("Recover of an abandoned pending release: %v", err)
	}
	wantRelease(t, rel, 3, "deployed")
	if rel.Values["greeting"] != "v1" {
		t.Errorf("recovered values = %v, want revision 1's", rel.Values)
	}
}
