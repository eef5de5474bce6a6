package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// StopEtcd stops the environment's etcd, keeping its data directory, so
// that tests can take the storage of every cluster away and bring it back
// with StartEtcd. The API servers keep running and retry.
func (e *Environment) StopEtcd() error {
	if e.etcd == nil {
		return errors.New("etcd was never started")
	}
	return e.etcd.stop()
}

// StartEtcd restarts the environment's etcd after StopEtcd, with the same
// binary, arguments, ports and data directory, and waits until it is
// healthy. It does nothing while etcd runs.
func (e *Environment) StartEtcd(ctx context.Context) error {
	if e.etcd == nil {
		return errors.New("etcd was never started")
	}
	if !e.etcd.exited() {
		return nil
	}
	old := e.etcd.cmd
	p, err := startProcess(e.etcd.name, old.Path, old.Args[1:], e.etcd.logPath)
	if err != nil {
		return err
	}
	e.etcd = p
	return p.waitFor(ctx, "healthy", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.etcdURL+"/health", nil)
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
	})
}
