package controlplane

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const stopGrace = 10 * time.Second

// Cluster is one local Kubernetes cluster: a kube-apiserver and, when it
// runs workloads, a controller-manager, a scheduler and kwok.
type Cluster struct {
	// Name is the cluster's name, also its etcd prefix and kubeconfig context.
	Name string
	// Dir holds the cluster's certificates, kubeconfig and logs.
	Dir string
	// Host is the API server's URL.
	Host string
	// Kubeconfig is the path of an admin kubeconfig for the cluster.
	Kubeconfig string
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config
	// Workloads tells whether controller-manager, scheduler and kwok run.
	Workloads bool

	binDir    string
	etcdURL   string
	port      int
	ca        *authority
	apiserver *process
	others    []*process
	// stopRenewal ends the simulated nodes' Lease renewal.
	stopRenewal []context.CancelFunc
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

// prepare writes the cluster's PKI and admin kubeconfig.
func (c *Cluster) prepare() error {
	ca, err := newAuthority(c.Name + "-ca")
	if err != nil {
		return err
	}
	c.ca = ca
	serving, err := ca.issue("kube-apiserver", nil, []string{"127.0.0.1", "localhost", "kubernetes.default.svc"})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"ca.crt": ca.certPEM, "apiserver.crt": serving.CertPEM, "apiserver.key": serving.KeyPEM,
	} {
		if err := writeFile(c.path(name), data); err != nil {
			return err
		}
	}
	if err := serviceAccountKey(c.path("sa.key")); err != nil {
		return err
	}
	c.Host = "https://127.0.0.1:" + strconv.Itoa(c.port)
	c.Config, err = c.UserConfig("admin", "system:masters")
	if err != nil {
		return err
	}
	c.Kubeconfig = c.path("kubeconfig")
	return c.WriteKubeconfig(c.Kubeconfig, c.Config)
}

// UserConfig returns a client configuration that authenticates to the
// cluster as user name in groups, with a client certificate the cluster's CA
// signs. It is how tests act as a less privileged identity.
func (c *Cluster) UserConfig(name string, groups ...string) (*rest.Config, error) {
	kp, err := c.ca.issue(name, groups, nil)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:  c.Host,
		QPS:   200,
		Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: c.ca.certPEM, CertData: kp.CertPEM, KeyData: kp.KeyPEM,
		},
	}, nil
}

// WriteKubeconfig writes cfg as a kubeconfig file whose context is named
// after the cluster.
func (c *Cluster) WriteKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[c.Name] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[c.Name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
	}
	kc.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: c.Name}
	kc.CurrentContext = c.Name
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return fmt.Errorf("encoding kubeconfig of %s: %w", c.Name, err)
	}
	return writeFile(path, data)
}

// StartAPIServer starts (or restarts) the cluster's kube-apiserver and waits
// until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if c.apiserver != nil && !c.apiserver.exited() {
		return nil
	}
	bin, err := binary(c.binDir, "kube-apiserver")
	if err != nil {
		return err
	}
	args := []string{
		"--etcd-servers=" + c.etcdURL,
		"--etcd-prefix=/" + c.Name,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.port),
		"--cert-dir=" + c.path("pki"),
		"--tls-cert-file=" + c.path("apiserver.crt"),
		"--tls-private-key-file=" + c.path("apiserver.key"),
		"--client-ca-file=" + c.path("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + c.path("sa.key"),
		"--service-account-signing-key-file=" + c.path("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// The loopback address cannot back the kubernetes Service's endpoints.
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=0",
	}
	p, err := startProcess(c.Name+"/kube-apiserver", bin, args, c.path("kube-apiserver.log"))
	if err != nil {
		return err
	}
	c.apiserver = p
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return fmt.Errorf("client for %s: %w", c.Name, err)
	}
	return p.waitFor(ctx, "ready", func(ctx context.Context) error {
		body, err := dc.RESTClient().Get().AbsPath("/readyz").Do(ctx).Raw()
		if err != nil {
			return fmt.Errorf("%w: %s", err, body)
		}
		return nil
	})
}

// StopAPIServer stops only the kube-apiserver, leaving its data in etcd, so
// that tests can make the cluster unreachable and bring it back.
func (c *Cluster) StopAPIServer() error {
	return c.apiserver.stop()
}

// stop ends every process of the cluster, the API server last.
func (c *Cluster) stop() {
	for _, cancel := range c.stopRenewal {
		cancel()
	}
	for i := len(c.others) - 1; i >= 0; i-- {
		_ = c.others[i].stop()
	}
	_ = c.apiserver.stop()
}

// processes lists the cluster's processes that were started.
func (c *Cluster) processes() []*process {
	out := append([]*process{}, c.others...)
	if c.apiserver != nil {
		out = append(out, c.apiserver)
	}
	return out
}
