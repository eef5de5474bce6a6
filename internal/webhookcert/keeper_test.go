package webhookcert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	admissionv1 "k8s.io/api/admission/v1"
	admregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/kubecube-io/hotplug/internal/kube"
)

var testHosts = []string{"hotplug-hub.kubecube-system.svc", "127.0.0.1"}

// The webhook configuration and path the tests keep, as the hub's.
const (
	testConfigName = "hotplug-hub"
	testPath       = "/validate-hotplug"
)

// testWebhook is the webhook the tests' keeper creates: the hub's rules
// (Hotplug create/update/delete, Cluster create/delete).
func testWebhook() admregv1.ValidatingWebhook {
	return admregv1.ValidatingWebhook{Name: "hotplugs.hub.hotplug.kubecube.io",
		ClientConfig: admregv1.WebhookClientConfig{URL: ptr.To("https://127.0.0.1:1" + testPath)},
		Rules: []admregv1.RuleWithOperations{
			{Operations: []admregv1.OperationType{admregv1.Create, admregv1.Update, admregv1.Delete},
				Rule: admregv1.Rule{APIGroups: []string{"hotplug.kubecube.io"}, APIVersions: []string{"v1"}, Resources: []string{"hotplugs"}}},
			{Operations: []admregv1.OperationType{admregv1.Create, admregv1.Delete},
				Rule: admregv1.Rule{APIGroups: []string{"cluster.kubecube.io"}, APIVersions: []string{"v1"}, Resources: []string{"clusters"}}},
		},
		SideEffects: ptr.To(admregv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}
}

func fakeClient() client.Client {
	return fake.NewClientBuilder().WithScheme(kube.Scheme).Build()
}

func testKeeper(t *testing.T, c client.Client, dir string, pol certPolicy) *Keeper {
	k := New(Config{Client: c, Secret: client.ObjectKey{Namespace: "kubecube-system", Name: "hotplug-hub-tls"}, CertDir: dir, Hosts: testHosts,
		ConfigName: testConfigName, Webhook: testWebhook(), Log: testr.New(t)})
	k.policy, k.period = pol, time.Hour
	return k
}

// TestCertKeeperRepairsMismatch puts a serving certificate that does not
// chain to the Secret's CA into the Secret: the keeper reissues it, and the
// certificate on disk verifies against the published caBundle.
func TestCertKeeperRepairsMismatch(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	c := fakeClient()
	ca, caKey := mustCA(t, now, caLifetime)
	other, otherKey := mustCA(t, now, caLifetime)
	foreign, foreignKey := mustServing(t, other, otherKey, testHosts, now)
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kubecube-system", Name: "hotplug-hub-tls"},
		Data: map[string][]byte{keyCA: ca, keyCAKey: caKey, keyTLSCert: foreign, keyTLSKey: foreignKey}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := testKeeper(t, c, dir, certPolicy{})
	if _, err := k.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{}
	if err := c.Get(ctx, k.key, sec); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sec.Data[keyTLSCert], foreign) {
		t.Fatal("the mismatched serving certificate was kept")
	}
	if !bytes.Equal(sec.Data[keyCA], ca) {
		t.Error("the CA was replaced although it was good")
	}
	vwc := &admregv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: testConfigName}, vwc); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, keyTLSCert))
	if err != nil {
		t.Fatal(err)
	}
	if !servingTrusted(onDisk, [][]byte{vwc.Webhooks[0].ClientConfig.CABundle}, time.Now()) {
		t.Error("the certificate on disk does not verify against the published caBundle")
	}
	if got := vwc.Webhooks[0].Rules[0].Operations; len(got) != 3 || got[2] != admregv1.Delete {
		t.Errorf("hotplug rule operations %v lack DELETE", got)
	}
	if got := vwc.Webhooks[0].Rules[1].Operations; len(got) != 2 || got[1] != admregv1.Delete {
		t.Errorf("cluster rule operations %v lack DELETE", got)
	}
	// A second look changes nothing.
	rv := sec.ResourceVersion
	if _, err := k.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, k.key, sec); err != nil || sec.ResourceVersion != rv {
		t.Errorf("a resync rewrote the Secret (%v)", err)
	}
}

// TestCertRotationUnderLoad rotates an expiring CA while a client calls the
// webhook without pause, each call a fresh TLS handshake trusting only the
// caBundle published at that moment (as the API server does): no call may
// fail.
func TestCertRotationUnderLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	c := fakeClient()
	// A CA with a month left cannot sign a full serving lifetime: rotation.
	ca, caKey := mustCA(t, now, 30*24*time.Hour)
	tlsCert, tlsKey := mustServing(t, ca, caKey, testHosts, now)
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kubecube-system", Name: "hotplug-hub-tls"},
		Data: map[string][]byte{keyCA: ca, keyCAKey: caKey, keyTLSCert: tlsCert, keyTLSKey: tlsKey}}); err != nil {
		t.Fatal(err)
	}
	// The server starts with the old certificate, as a running hub would.
	dir := t.TempDir()
	for name, data := range map[string][]byte{keyTLSCert: tlsCert, keyTLSKey: tlsKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k := testKeeper(t, c, dir, certPolicy{Settle: time.Second, Grace: 12 * time.Second})
	// Publish the old CA only, as the previous hub did.
	if err := k.register(ctx, ca); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	srv := webhook.NewServer(webhook.Options{Host: "127.0.0.1", Port: port, CertDir: dir, CertName: keyTLSCert, KeyName: keyTLSKey})
	srv.Register(testPath, &webhook.Admission{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	})})
	go func() { _ = srv.Start(ctx) }()
	for srv.StartedChecker()(nil) != nil {
		time.Sleep(50 * time.Millisecond)
	}

	review, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "1", Operation: admissionv1.Create}})
	call := func() error {
		vwc := &admregv1.ValidatingWebhookConfiguration{}
		if err := c.Get(ctx, client.ObjectKey{Name: testConfigName}, vwc); err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(vwc.Webhooks[0].ClientConfig.CABundle) {
			return fmt.Errorf("empty caBundle")
		}
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
		resp, err := hc.Post(fmt.Sprintf("https://127.0.0.1:%d%s", port, testPath), "application/json", bytes.NewReader(review))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	var calls, failed atomic.Int64
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			calls.Add(1)
			if err := call(); err != nil {
				if failed.Add(1) <= 5 {
					t.Logf("call failed: %v", err)
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	start := time.Now()
	go func() { _ = k.Start(ctx) }()
	deadline := time.After(60 * time.Second)
	var final certState
	for {
		_, s, err := k.load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.CACert, ca) && len(s.OldCACert) == 0 && len(s.NextCACert) == 0 {
			final = s
			break
		}
		select {
		case <-deadline:
			t.Fatalf("rotation did not finish in 60s: next=%v old=%v", len(s.NextCACert) > 0, len(s.OldCACert) > 0)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The server serves a certificate of the new CA alone.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-loadDone
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(final.CACert)
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("the server does not serve a certificate of the new CA: %v", err)
	}
	_ = conn.Close()
	t.Logf("rotation took %s; %d webhook calls, %d failed", time.Since(start).Round(time.Millisecond), calls.Load(), failed.Load())
	if calls.Load() < 50 {
		t.Errorf("only %d calls made", calls.Load())
	}
	if failed.Load() != 0 {
		t.Errorf("%d of %d calls failed during rotation", failed.Load(), calls.Load())
	}
}
