// Command popi-tui is a terminal workbench for POPI-style personalization
// of language models: it loads user histories, gets preference summaries
// from a summarizer model, lets a person read and edit them, compares
// generators' answers and records blind preference labels for training.
//
// main only wires the process to the command line in ui/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"

	"github.com/popi-tui/popi-tui/ui/cli"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module build information (cli.BuildVersion).
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		Version:          appVersion(),
		StderrIsTerminal: term.IsTerminal(os.Stderr.Fd()),
		StdinIsTerminal:  term.IsTerminal(os.Stdin.Fd()),
		StdoutIsTerminal: term.IsTerminal(os.Stdout.Fd()),
	})
	stop()
	os.Exit(code)
}

// stopSignals are the signals that stop a command the way Ctrl-C does:
// work is rolled back or kept as each command says, temporary files are
// removed, and the exit status is 130. SIGHUP is one: a lost SSH
// connection must not kill an export half-way, leaving its temporary file,
// or an import, leaving its journal to the next open. Unless the process
// was started ignoring it (nohup): catching it would undo what the user
// asked for.
func stopSignals() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}

func appVersion() string { return cli.BuildVersion(version) }
