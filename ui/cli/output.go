package cli

import (
	"encoding/json"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/store/format/printsafe"
)

// outputFlags are --json and --quiet of the commands that report
// (useJSON, useQuiet). stats, eval, export and queue had a --json of their
// own before these, and keep it.
type outputFlags struct {
	asJSON, quiet bool
}

func (o *outputFlags) register(fs *pflag.FlagSet, use globalUse) {
	if use&useJSON != 0 {
		fs.BoolVar(&o.asJSON, "json", false, "print the report as one JSON object on standard output (progress stays on standard error)")
	}
	if use&useQuiet != 0 {
		fs.BoolVar(&o.quiet, "quiet", false, "no progress bar or progress lines (warnings and the report still print)")
	}
}

// printJSON prints v as one line of JSON. Its strings can quote data files
// and servers: printsafe escapes what a terminal would act on.
func (c *runContext) printJSON(v any) error {
	enc := json.NewEncoder(printsafe.NewWriter(c.Stdout))
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// colorChoice is how the command line's own output (the progress bar) is
// coloured: disabled by NO_COLOR (https://no-color.org), forced by
// FORCE_COLOR (other than "0" or "false") where detection finds no colour
// (stdout piped, TERM=dumb). NO_COLOR wins.
func colorChoice(getenv func(string) string) (disabled, forced bool) {
	if getenv("NO_COLOR") != "" {
		return true, false
	}
	f := strings.ToLower(strings.TrimSpace(getenv("FORCE_COLOR")))
	return false, f != "" && f != "0" && f != "false"
}
