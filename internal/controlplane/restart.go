package controlplane

import (
	"context"
	"errors"
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
	return p.waitFor(ctx, "healthy", etcdHealthy(e.etcdURL))
}
