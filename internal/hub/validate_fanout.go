package hub

import (
	"context"
	"runtime"
	"sync"

	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// found is one error of the validated object, for the cluster whose merge
// reported it.
type found struct {
	msg     string
	cluster string
}

// mergeAll runs merge.EffectiveWithin for every job of todo on at most
// workers goroutines (default the number of CPUs) and returns the errors
// that own counts as the validated object's, in no particular order. The
// first job with such an error cancels the rest: one failing cluster is
// enough to refuse. missing is how many jobs did not finish (cut short by
// ctx), and cause why ctx ended.
func mergeAll(ctx context.Context, lim limits.Limits, todo []job, workers int, own func(job, *merge.Error) bool) (seen []found, missing int, cause error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(todo))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		done = make([]bool, len(todo))
		next = make(chan int)
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := todo[i]
				res := merge.EffectiveWithin(ctx, lim, j.cluster, j.common, j.own)
				mu.Lock()
				if ctx.Err() == nil || len(res.Errors) > 0 {
					done[i] = true
				}
				for _, e := range res.Errors {
					if own(j, e) {
						seen = append(seen, found{msg: e.Error(), cluster: j.cluster})
					}
				}
				if len(seen) > 0 {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	feed(ctx, len(todo), next)
	wg.Wait()
	for _, d := range done {
		if !d {
			missing++
		}
	}
	return seen, missing, context.Cause(ctx)
}

// feed sends 0..n-1 on next until ctx ends, then closes it.
func feed(ctx context.Context, n int, next chan<- int) {
	defer close(next)
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}
