// Command etcd is etcd's own server entry point, built here so that the
// version is pinned by this module rather than downloaded as a binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
