package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// Format is an output format selected with -o.
type Format string

// The formats every command accepts.
const (
	FormatTable Format = "table"
	FormatYAML  Format = "yaml"
	FormatJSON  Format = "json"
)

// Formats lists the accepted values of -o, for help texts.
const Formats = "table|yaml|json"

// ParseFormat accepts table, yaml or json (case-insensitive; "" is table)
// and returns an error naming the accepted values otherwise.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", FormatTable:
		return FormatTable, nil
	case FormatYAML, FormatJSON:
		return f, nil
	default:
		return "", fmt.Errorf("unknown output format %q: use one of %s", s, Formats)
	}
}

// Print writes data to w in format f. For yaml and json, data is marshalled
// through its json tags (yaml via JSON, so both show the same field names);
// for table, table is called to write the human view of the same data.
func Print(w io.Writer, f Format, data any, table func(io.Writer) error) error {
	switch f {
	case FormatJSON:
		b, err := json.MarshalIndent(data, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding json: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case FormatYAML:
		b, err := yaml.Marshal(data)
		if err != nil {
			return fmt.Errorf("encoding yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	default:
		return table(w)
	}
}
