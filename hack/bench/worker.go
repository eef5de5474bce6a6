package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/hack/bench/chartset"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// workerCommand is the hidden subcommand that runs a baseline system as
// its own process, so that its memory and CPU are measured like the
// agent's.
const workerCommand = "worker"

// workerResult is what a worker prints on stdout.
type workerResult struct {
	Seconds float64 `json:"seconds"`
	usage
}

// Baseline systems.
const (
	modeSequential = "sequential" // Helm installs through hotplug's wrapper, one component after another, each waited for
	modeApply      = "apply"      // server-side apply of the rendered objects, CRDs first, then wait for readiness
)

// runWorker runs one phase of a baseline system: round 1 installs every
// component, a later round changes the components of chartset.Edited.
func runWorker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(workerCommand, flag.ContinueOnError)
	mode := fs.String("mode", "", "sequential or apply")
	kubeconfig := fs.String("kubeconfig", "", "")
	chartDir := fs.String("chart-dir", "", "")
	round := fs.Int("round", 1, "")
	setName := fs.String("set", string(chartset.Heavy), "heavy or light")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := chartset.ParseSet(*setName)
	if err != nil {
		return err
	}
	cfg, err := kube.LoadConfig(*kubeconfig)
	if err != nil {
		return err
	}
	comps := set.Components()
	if *round > 1 {
		comps = nil
		for _, c := range set.Components() {
			for _, e := range chartset.Edited {
				if c.Name == e {
					comps = append(comps, c)
				}
			}
		}
	}
	loader := chartpkg.NewLoader(*chartDir, limits.Limits{})
	smp := startSampler("self")
	start := time.Now()
	switch *mode {
	case modeSequential:
		h, err := helm.New(cfg, helm.Options{Wait: true, Timeout: 15 * time.Minute})
		if err != nil {
			return err
		}
		for _, c := range comps {
			pkg, err := loader.Load(c.Pkg)
			if err != nil {
				return err
			}
			req := helm.Request{Name: c.Name, Namespace: c.Namespace, Chart: pkg.Chart, Values: chartset.Values(*round)}
			if *round == 1 {
				_, err = h.Install(ctx, req)
			} else {
				_, err = h.Upgrade(ctx, req)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
	case modeApply:
		// kubectl's own client-side limits (50/s, bursts of 300).
		cfg.QPS, cfg.Burst = 50, 300
		c, err := client.New(cfg, client.Options{Scheme: workerScheme})
		if err != nil {
			return err
		}
		if err := applyAll(ctx, c, loader, comps, *round); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	res := workerResult{Seconds: time.Since(start).Seconds()}
	if res.usage, err = procUsage("self"); err != nil {
		return err
	}
	smp.finish(&res.usage)
	return json.NewEncoder(os.Stdout).Encode(res)
}

// workerScheme knows the built-in kinds and CRDs; everything else is
// applied as unstructured.
var workerScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	return s
}()

// applyAll is `kubectl apply --server-side` of the rendered objects of
// comps: namespaces and CRDs first (waiting for the CRDs to be
// established), then each component's objects one by one as kubectl sends
// them, then a wait until every object is ready (kstatus), as the agent's
// "running" means. Hook Jobs are deleted first on a later round, as
// Helm's before-hook-creation policy does (a Job's template is immutable).
func applyAll(ctx context.Context, c client.Client, loader *chartpkg.Loader, comps []chartset.Component, round int) error {
	rendered := make([]chartset.Rendered, len(comps))
	for i, comp := range comps {
		pkg, err := loader.Load(comp.Pkg)
		if err != nil {
			return err
		}
		if rendered[i], err = chartset.Render(ctx, pkg.Chart, comp.Name, comp.Namespace, chartset.Values(round)); err != nil {
			return err
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: comp.Namespace}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		for _, crd := range rendered[i].CRDs {
			if err := manifest.Apply(ctx, c, []byte(crd)); err != nil {
				return fmt.Errorf("%s: %w", comp.Name, err)
			}
		}
	}
	if err := waitEstablished(ctx, c, rendered); err != nil {
		return err
	}
	for i, comp := range comps {
		if round > 1 {
			if err := deleteHookJobs(ctx, c, rendered[i].Manifest); err != nil {
				return fmt.Errorf("%s: %w", comp.Name, err)
			}
		}
		if err := manifest.Apply(ctx, c, []byte(rendered[i].Manifest)); err != nil {
			return fmt.Errorf("%s: %w", comp.Name, err)
		}
	}
	checker := health.NewChecker(c, c.RESTMapper())
	for i, comp := range comps {
		err := poll(ctx, 250*time.Millisecond, 15*time.Minute, comp.Name+" ready", func() (bool, string, error) {
			objs, err := checker.Check(ctx, rendered[i].Manifest, comp.Namespace)
			if err != nil {
				return false, err.Error(), nil
			}
			s := health.Summarize(objs, 0, 0)
			return s.State == health.Ready, s.Message, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// waitEstablished waits until every CRD of rendered is established.
func waitEstablished(ctx context.Context, c client.Client, rendered []chartset.Rendered) error {
	for _, r := range rendered {
		for _, text := range r.CRDs {
			objs, err := manifest.Parse([]byte(text))
			if err != nil {
				return err
			}
			for _, o := range objs {
				err := poll(ctx, 100*time.Millisecond, 2*time.Minute, "CRD "+o.GetName(), func() (bool, string, error) {
					crd := &apiextensionsv1.CustomResourceDefinition{}
					if err := c.Get(ctx, client.ObjectKey{Name: o.GetName()}, crd); err != nil {
						return false, err.Error(), nil
					}
					for _, cond := range crd.Status.Conditions {
						if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
							return true, "", nil
						}
					}
					return false, "not established", nil
				})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// deleteHookJobs deletes the hook Jobs of text and waits until they are gone.
func deleteHookJobs(ctx context.Context, c client.Client, text string) error {
	objs, err := manifest.Parse([]byte(text))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() != "Job" || o.GetAnnotations()["helm.sh/hook"] == "" {
			continue
		}
		if err := c.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		err := poll(ctx, 100*time.Millisecond, 2*time.Minute, "deleting Job "+o.GetName(), func() (bool, string, error) {
			err := c.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopy())
			return apierrors.IsNotFound(err), fmt.Sprint(err), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runWorkerProcess runs one worker phase as a child process of this
// binary and returns what it measured.
func runWorkerProcess(ctx context.Context, mode string, set chartset.Set, kubeconfig, chartDir string, round int, logPath string) (workerResult, error) {
	self, err := os.Executable()
	if err != nil {
		return workerResult{}, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return workerResult{}, err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, self, workerCommand, "-mode", mode, "-set", string(set), "-kubeconfig", kubeconfig, "-chart-dir", chartDir, "-round", strconv.Itoa(round))
	cmd.Stderr = logFile
	out, err := cmd.Output()
	if err != nil {
		return workerResult{}, fmt.Errorf("%s worker, %s set, round %d: %w (log: %s)", mode, set, round, err, logPath)
	}
	var res workerResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &res); err != nil {
		return workerResult{}, errors.Join(fmt.Errorf("%s worker output", mode), err)
	}
	return res, nil
}
