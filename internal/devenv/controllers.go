package devenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/inprocess"
)

// controller is the hub or an agent running in this process, with the log
// file it writes to.
type controller struct {
	*inprocess.Process
	log *os.File
}

// wait returns once the manager has stopped, with its error, and closes
// its log.
func (c *controller) wait() error {
	err := c.Wait()
	_ = c.log.Close()
	return err
}

// fileLogger returns a JSON logr logger writing to path, so the hub's and
// agents' logs stay out of the terminal but can be read (or tailed) later.
func fileLogger(path string) (logr.Logger, *os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return logr.Discard(), nil, fmt.Errorf("creating log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return logr.Discard(), nil, fmt.Errorf("opening log %s: %w", path, err)
	}
	return zap.New(zap.WriteTo(f)), f, nil
}

// startHub runs the hub against the pivot with its webhook on a free
// loopback port that the pivot's API server calls, and returns once the
// webhook serves and is registered with the pivot.
func startHub(ctx context.Context, cfg *rest.Config, pivot client.Client, stateDir string) (*controller, error) {
	opts, err := inprocess.LoopbackWebhook(hub.Options{
		CertDir: filepath.Join(stateDir, "hub-certs"),
		// Short enough that a stopped agent shows up in `hotplug status`
		// while someone watches, long enough for a busy 2-core machine.
		HeartbeatTimeout: 30 * time.Second,
		CheckPeriod:      5 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	// A reused state directory holds the previous run's webhook
	// configuration, naming its port; the hub only refreshes the caBundle
	// of a configuration an installer made, so remove it and let the hub
	// register its own.
	stale := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: hub.WebhookConfigName}}
	if err := pivot.Delete(ctx, stale); err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("removing the previous run's webhook configuration: %w", err)
	}
	log, f, err := fileLogger(filepath.Join(stateDir, "hub.log"))
	if err != nil {
		return nil, err
	}
	p, err := inprocess.StartHub(ctx, cfg, opts, log)
	if p == nil {
		_ = f.Close()
		return nil, err
	}
	c := &controller{Process: p, log: f}
	if err != nil {
		return c, fmt.Errorf("%w; see hub.log in the state directory", err)
	}
	return c, waitWebhookRegistered(ctx, pivot, opts.WebhookURL)
}

// waitWebhookRegistered waits until the pivot's webhook configuration
// points at url. In a reused state directory it still names the previous
// run's port until the hub rewrites it, and the API server would refuse
// every Hotplug write meanwhile.
func waitWebhookRegistered(ctx context.Context, pivot client.Reader, url string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		vwc := &admissionv1.ValidatingWebhookConfiguration{}
		if err := pivot.Get(ctx, client.ObjectKey{Name: hub.WebhookConfigName}, vwc); err != nil {
			last = err.Error()
			return false, nil
		}
		for _, w := range vwc.Webhooks {
			if w.ClientConfig.URL == nil || *w.ClientConfig.URL != url || len(w.ClientConfig.CABundle) == 0 {
				last = fmt.Sprintf("webhook %s not yet at %s", w.Name, url)
				return false, nil
			}
		}
		return len(vwc.Webhooks) > 0, nil
	})
	if err != nil {
		return fmt.Errorf("the hub did not register its webhook at %s: %w (last: %s)", url, err, last)
	}
	return nil
}

// startAgent runs the agent of cluster; pivot is nil for the pivot itself.
func startAgent(ctx context.Context, cluster string, cfg, pivot *rest.Config, chartDir, stateDir string, workloads bool) (*controller, error) {
	log, f, err := fileLogger(filepath.Join(stateDir, cluster, "agent.log"))
	if err != nil {
		return nil, err
	}
	p, err := inprocess.StartAgent(ctx, cfg, agent.Options{
		ClusterName: cluster,
		ChartDir:    chartDir,
		PivotConfig: pivot,
		// Frequent heartbeats keep `hotplug status` fresh in the demo.
		HeartbeatInterval: 5 * time.Second,
		// With real workloads a component is "running" only once its pods
		// are Ready; without them nothing would ever become Ready.
		Wait:    workloads,
		Timeout: 2 * time.Minute,
	}, log)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &controller{Process: p, log: f}, nil
}
