package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// userScreen shows one user's history beside their summary.
type userScreen struct {
	ctx  *Context
	user string
}

func newUserScreen(ctx *Context, user string) *userScreen {
	return &userScreen{ctx: ctx, user: user}
}

func (s *userScreen) Init() tea.Cmd              { return nil }
func (s *userScreen) Update(msg tea.Msg) tea.Cmd { return nil }
func (s *userScreen) View() string               { return "" }
func (s *userScreen) Title() string              { return "User " + line(s.user) }
func (s *userScreen) ShortHelp() []key.Binding   { return nil }
func (s *userScreen) FullHelp() [][]key.Binding  { return nil }
func (s *userScreen) Typing() bool               { return false }
func (s *userScreen) Close()                     {}
