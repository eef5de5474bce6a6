package dashboard

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkStreams20 is the view's memory at 500 clusters × 10
// components: what turning it on holds (the built snapshot and its
// encoded form, the resume log), then what 20 connected browsers add
// (each got its snapshot and stays subscribed; the test's own 20 clients
// and their buffers are in the same process, so per-browser is an upper
// bound), and that one changed cell still reaches all 20.
func BenchmarkStreams20(b *testing.B) {
	const browsers = 20
	fleetClusters := bigFleet(500, 10)
	for b.Loop() {
		before := heapInUse()
		broker := NewBroker()
		if err := broker.Publish(Build(fleetClusters, nil, time.Now())); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(nil)
		srv.Config.Handler = NewHandler(Options{Broker: broker, Hosts: []string{strings.TrimPrefix(srv.URL, "http://")}, Log: logr.Discard()})
		viewOn := heapInUse()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		transport := &http.Transport{MaxConnsPerHost: browsers + 1, MaxIdleConnsPerHost: browsers + 1}
		client := &http.Client{Transport: transport}
		var snapshots, cells sync.WaitGroup
		snapshots.Add(browsers)
		cells.Add(browsers)
		errs := make(chan error, browsers)
		for range browsers {
			go func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
				res, err := client.Do(req)
				if err != nil {
					errs <- err
					snapshots.Done()
					cells.Done()
					return
				}
				defer func() { _ = res.Body.Close() }()
				r := bufio.NewReaderSize(res.Body, 4<<10)
				sawSnapshot, sawCell := false, false
				for !sawCell {
					line, err := r.ReadSlice('\n')
					if errors.Is(err, bufio.ErrBufferFull) {
						continue // a long data line: read on
					}
					if err != nil {
						errs <- err
						break
					}
					switch s := string(line); {
					case s == "event: "+EventSnapshot+"\n":
						sawSnapshot = true
					case s == "\n" && sawSnapshot && !sawCell:
						sawSnapshot = false
						snapshots.Done()
					case s == "event: "+EventCell+"\n":
						sawCell = true
					}
				}
				cells.Done()
				<-ctx.Done() // stay connected until measured
			}()
		}
		snapshots.Wait()
		connected := heapInUse()
		if n := broker.Subscribers(); n != browsers {
			b.Fatalf("%d browsers subscribed, want %d", n, browsers)
		}
		changed := bigFleet(500, 10)
		changed[250].Status.Components[5].Enabled = false
		if err := broker.Publish(Build(changed, nil, time.Now())); err != nil {
			b.Fatal(err)
		}
		cells.Wait()
		select {
		case err := <-errs:
			b.Fatalf("a browser's stream ended: %v", err)
		default:
		}
		cancel()
		srv.CloseClientConnections()
		srv.Close()
		transport.CloseIdleConnections()
		b.ReportMetric(float64(viewOn-before)/(1<<20), "view-MiB")
		b.ReportMetric(float64(int64(connected)-int64(viewOn))/(1<<20), "20-browsers-MiB")
		b.ReportMetric(float64(int64(connected)-int64(viewOn))/browsers/1024, "KiB/browser")
	}
}
