// Package limits is the one place where hotplug bounds what users give it
// before anything is expanded: env text, YAML aliases, converted values,
// template work and time, chart packages, and every message written to
// status, events and logs. The agent, the hub's webhook and the CLI all take
// their limits from a Limits value, set by the same flags (AddFlags).
package limits

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// ErrExceeded is wrapped by every error that reports a limit; the message
// names the limit and the flag that raises it.
var ErrExceeded = errors.New("limit exceeded")

// Limits bound one component's inputs. The zero value of a field means the
// default (see Default); Normalize fills them in.
type Limits struct {
	// EnvBytes bounds one env text as written in the Hotplug.
	EnvBytes int
	// ExpandedYAMLBytes bounds one YAML document after alias expansion
	// (env, and every values.yaml/Chart.yaml of a chart package).
	ExpandedYAMLBytes int
	// ValuesBytes bounds a component's merged values, measured as JSON.
	ValuesBytes int
	// TemplateWork bounds the bytes that template functions may touch
	// (build, compare, slice) in one execution.
	TemplateWork int
	// TemplateTimeout bounds one template execution; the caller's context
	// deadline applies too, whichever comes first.
	TemplateTimeout time.Duration
	// ChartBytes bounds the decompressed size of a chart package, all nested
	// subchart packages included.
	ChartBytes int64
	// ChartFiles bounds the number of entries of a chart package, nested
	// subcharts included.
	ChartFiles int
	// ChartNameBytes bounds the length of one path inside a chart package.
	ChartNameBytes int
}

// Defaults. They are far above what real add-on charts and values need
// (KubeCube's monitoring chart: ~2 MiB unpacked, ~400 files; its values: a
// few tens of KiB) and far below what hurts a 2-core, 512 MiB agent.
const (
	DefaultEnvBytes          = 512 << 10
	DefaultExpandedYAMLBytes = 4 << 20
	DefaultValuesBytes       = 4 << 20
	DefaultTemplateWork      = 16 << 20
	DefaultTemplateTimeout   = 2 * time.Second
	DefaultChartBytes        = 64 << 20
	DefaultChartFiles        = 5000
	DefaultChartNameBytes    = 1024
)

// Default returns the default limits.
func Default() Limits { return Limits{}.Normalize() }

// Normalize returns l with every zero or negative field set to its default.
func (l Limits) Normalize() Limits {
	if l.EnvBytes <= 0 {
		l.EnvBytes = DefaultEnvBytes
	}
	if l.ExpandedYAMLBytes <= 0 {
		l.ExpandedYAMLBytes = DefaultExpandedYAMLBytes
	}
	if l.ValuesBytes <= 0 {
		l.ValuesBytes = DefaultValuesBytes
	}
	if l.TemplateWork <= 0 {
		l.TemplateWork = DefaultTemplateWork
	}
	if l.TemplateTimeout <= 0 {
		l.TemplateTimeout = DefaultTemplateTimeout
	}
	if l.ChartBytes <= 0 {
		l.ChartBytes = DefaultChartBytes
	}
	if l.ChartFiles <= 0 {
		l.ChartFiles = DefaultChartFiles
	}
	if l.ChartNameBytes <= 0 {
		l.ChartNameBytes = DefaultChartNameBytes
	}
	return l
}

// Flag names, so that error messages can say how to raise a limit.
const (
	FlagEnvBytes          = "max-env-bytes"
	FlagExpandedYAMLBytes = "max-expanded-yaml-bytes"
	FlagValuesBytes       = "max-values-bytes"
	FlagTemplateWork      = "max-template-work"
	FlagTemplateTimeout   = "template-timeout"
	FlagChartBytes        = "max-chart-bytes"
	FlagChartFiles        = "max-chart-files"
	FlagChartNameBytes    = "max-chart-name-bytes"
)

// AddFlags registers the limits on fs with their defaults.
func (l *Limits) AddFlags(fs *pflag.FlagSet) {
	d := Default()
	fs.IntVar(&l.EnvBytes, FlagEnvBytes, d.EnvBytes, "largest env text of one component, in bytes")
	fs.IntVar(&l.ExpandedYAMLBytes, FlagExpandedYAMLBytes, d.ExpandedYAMLBytes, "largest YAML document (env, values.yaml) after alias expansion, in bytes")
	fs.IntVar(&l.ValuesBytes, FlagValuesBytes, d.ValuesBytes, "largest merged values of one component, as JSON bytes")
	fs.IntVar(&l.TemplateWork, FlagTemplateWork, d.TemplateWork, "bytes that the functions of one env template may build or compare")
	fs.DurationVar(&l.TemplateTimeout, FlagTemplateTimeout, d.TemplateTimeout, "longest evaluation of one env template")
	fs.Int64Var(&l.ChartBytes, FlagChartBytes, d.ChartBytes, "largest decompressed chart package, nested subcharts included, in bytes")
	fs.IntVar(&l.ChartFiles, FlagChartFiles, d.ChartFiles, "most files in one chart package, nested subcharts included")
	fs.IntVar(&l.ChartNameBytes, FlagChartNameBytes, d.ChartNameBytes, "longest path inside a chart package, in bytes")
}

// Exceeded returns an error wrapping ErrExceeded that says what was measured,
// the limit and the flag that raises it.
func Exceeded(what string, got, limit int64, flag string) error {
	if got < 0 {
		return fmt.Errorf("%s is more than %d (--%s): %w", what, limit, flag, ErrExceeded)
	}
	return fmt.Errorf("%s is %d, more than %d (--%s): %w", what, got, limit, flag, ErrExceeded)
}
