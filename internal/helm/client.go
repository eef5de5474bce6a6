package helm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"helm.sh/helm/v4/pkg/action"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kubecube-io/hotplug/internal/redact"
)

// storageDriver is Helm's default release storage, so CLI-made releases are seen.
const storageDriver = "secret"

// Client runs Helm actions against one cluster. It is safe for concurrent use;
// operations on the same release (namespace/name) are serialized.
type Client struct {
	getter *restClientGetter
	meta   metadata.Interface // reads live objects' managedFields (see respectingKube)
	opts   Options
	log    logr.Logger
	slog   slog.Handler
	locks  keyedMutex
}

// New returns a Client for the cluster cfg points at. It does not contact the
// cluster; cfg must carry credentials allowed to manage the releases' resources
// and the Secrets Helm stores releases in.
func New(cfg *rest.Config, opts Options) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("helm: nil rest config")
	}
	getter, err := newRESTClientGetter(cfg)
	if err != nil {
		return nil, fmt.Errorf("helm: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("helm: metadata client: %w", err)
	}
	log := opts.Log
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	opts.Log = log
	return &Client{
		getter: getter,
		meta:   meta,
		opts:   opts,
		log:    log,
		slog:   logr.ToSlogHandler(log.WithName("helm-sdk")),
	}, nil
}

// configuration builds a fresh action.Configuration for namespace ("" means
// all namespaces, for listing). Configurations are cheap (they share the
// getter's discovery cache and REST mapper) and are not shared between calls,
// because Helm actions mutate them. red, when set, cleans the SDK's log
// lines of the release's values (see redactingHandler).
func (c *Client) configuration(namespace string, red ...*redact.Redactor) (*action.Configuration, error) {
	h := c.slog
	for _, r := range red {
		h = redactingSlog(h, r)
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(h))
	getter := c.getter.forNamespace(namespace)
	if err := cfg.Init(getter, namespace, storageDriver); err != nil {
		return nil, fmt.Errorf("init helm configuration for namespace %q: %w", namespace, err)
	}
	if kc, ok := cfg.KubeClient.(*kube.Client); ok {
		kc.Namespace = namespace
		if sec, ok := cfg.Releases.Driver.(*driver.Secrets); ok {
			cfg.Releases.Driver = newReleaseStore(sec, sync.OnceValues(func() (corev1client.SecretInterface, error) {
				cs, err := kc.Factory.KubernetesClientSet()
				if err != nil {
					return nil, fmt.Errorf("release storage: %w", err)
				}
				return cs.CoreV1().Secrets(namespace), nil
			}))
		}
		kc.Factory = serverValidated{kc.Factory}
		cfg.KubeClient = &absentFirst{Interface: kc, meta: c.meta}
	}
	return cfg, nil
}

// begin validates the release key, applies Options.Timeout to ctx and takes
// the release's lock. It returns the bounded ctx, the timeout to give Helm
// actions and a done function that must be called once.
func (c *Client) begin(ctx context.Context, namespace, name string) (context.Context, time.Duration, func(), error) {
	if err := checkKey(ctx, namespace, name); err != nil {
		return nil, 0, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout())
	unlock, err := c.locks.lock(ctx, namespace+"/"+name)
	if err != nil {
		cancel()
		return nil, 0, nil, fmt.Errorf("release %s/%s: wait for concurrent operation: %w", namespace, name, err)
	}
	timeout := c.opts.timeout()
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	// Helm's own timeout fires slightly before ctx, so its more telling error
	// (which resource is not ready) wins over "context deadline exceeded".
	timeout -= min(timeout/10, 5*time.Second)
	return ctx, timeout, func() { unlock(); cancel() }, nil
}

// waitOptions passes ctx to Helm's waiters so cancellation stops waiting.
func waitOptions(ctx context.Context) []kube.WaitOption {
	return []kube.WaitOption{kube.WithWaitContext(ctx)}
}

// checkKey rejects empty or invalid release keys and already-ended contexts.
func checkKey(ctx context.Context, namespace, name string) error {
	if namespace == "" || name == "" {
		return fmt.Errorf("release %q/%q: namespace and name are required", namespace, name)
	}
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return fmt.Errorf("release %s/%s: %w", namespace, name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release %s/%s: %w", namespace, name, err)
	}
	return nil
}
