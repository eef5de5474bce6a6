#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok) from source into bin/, skipping binaries that are
# already there and whose pinned version matches. Cold on 2 cores this takes
# about 13 minutes; each step prints when it starts and how long it took.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN_DIR:-$root/bin}
mkdir -p "$bin"

k8s_version=$(awk '$1=="k8s.io/kubernetes"{print $2}' "$root/hack/tools/go.mod" | head -1)
kwok_version=${KWOK_VERSION:-v0.8.0}
major=$(echo "${k8s_version#v}" | cut -d. -f1)
minor=$(echo "${k8s_version#v}" | cut -d. -f2)
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${k8s_version} \
 -X k8s.io/component-base/version.gitMajor=${major} \
 -X k8s.io/component-base/version.gitMinor=${minor} \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

# stamp records which version a binary was built from, so a bump rebuilds it.
stamp() { echo "$1" > "$bin/.$2.version"; }
current() { [ -e "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }

build() { # name version command...
  local name=$1 version=$2; shift 2
  if current "$name" "$version"; then
    echo "controlplane: $name $version up to date"
    return
  fi
  echo "controlplane: building $name $version (this can take minutes)..."
  local start=$SECONDS
  "$@"
  stamp "$version" "$name"
  echo "controlplane: built $name in $((SECONDS - start))s"
}

# stages assembles kwok's own Stage configs (shipped in its module) that make
# simulated nodes Ready, keep their leases fresh and run pods to Ready.
stages() {
  local dir
  dir=$(go mod download -json "sigs.k8s.io/kwok@$kwok_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  local out=$bin/kwok-stages.yaml
  : > "$out.tmp"
  for f in "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
           "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           "$dir"/kustomize/stage/pod/fast/pod-ready.yaml \
           "$dir"/kustomize/stage/pod/fast/pod-complete.yaml \
           "$dir"/kustomize/stage/pod/fast/pod-delete.yaml; do
    echo "---" >> "$out.tmp"; cat "$f" >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

cd "$root/hack/tools"
export CGO_ENABLED=0
want=${*:-etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwok-stages}
for name in $want; do
  case $name in
    etcd) build etcd "etcd-$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' go.mod | head -1)" \
            go build -trimpath -ldflags "-s -w" -o "$bin/etcd" ./etcd ;;
    kube-apiserver|kube-controller-manager|kube-scheduler)
          build "$name" "$k8s_version" \
            go build -trimpath -ldflags "$ldflags" -o "$bin/$name" "k8s.io/kubernetes/cmd/$name" ;;
    kwok) build kwok "$kwok_version" \
            env GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version" ;;
    kwok-stages) build kwok-stages.yaml "$kwok_version" stages ;;
    *) echo "controlplane: unknown binary $name" >&2; exit 2 ;;
  esac
done
