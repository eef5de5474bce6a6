package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
)

// startEtcd runs one etcd on loopback for every cluster of an environment;
// clusters keep apart by their --etcd-prefix.
func startEtcd(ctx context.Context, binDir, dir string) (*process, string, error) {
	bin, err := binary(binDir, "etcd")
	if err != nil {
		return nil, "", err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	args := []string{
		"--name=hotplug",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=hotplug=" + peer,
		// Test and demo data is disposable; fsync dominates start-up on slow disks.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
	p, err := startProcess("etcd", bin, args, filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, "", err
	}
	err = p.waitFor(ctx, "healthy", etcdHealthy(client))
	if err != nil {
		_ = p.stop()
		return nil, "", err
	}
	return p, client, nil
}

// etcdHealthy probes etcd's /health endpoint at url.
func etcdHealthy(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health: %s", resp.Status)
		}
		return nil
	}
}
