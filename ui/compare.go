package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// compareScreen is screen 4, Compare & label (placeholder while it is built).
type compareScreen struct{ ctx *Context }

func newCompareScreen(ctx *Context) *compareScreen { return &compareScreen{ctx: ctx} }

func (s *compareScreen) Init() tea.Cmd              { return nil }
func (s *compareScreen) Update(msg tea.Msg) tea.Cmd { return nil }
func (s *compareScreen) View() string               { return "" }
func (s *compareScreen) Title() string              { return "Compare & label" }
func (s *compareScreen) ShortHelp() []key.Binding   { return nil }
func (s *compareScreen) FullHelp() [][]key.Binding  { return nil }
func (s *compareScreen) Typing() bool               { return false }
func (s *compareScreen) Close()                     {}
