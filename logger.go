package trpcws

import (
	"context"
	"log/slog"
	"time"

	"github.com/trpcws/trpcws/core"
)

// logNote forwards a core note or state change to Options.Logger.
func (c *Client) logNote(o *core.Output) {
	l := c.opts.Logger
	if l == nil {
		return
	}
	ctx := context.Background()
	attrs := make([]slog.Attr, 0, 4)
	msg := "trpcws: " + o.Note.String()
	switch o.Kind {
	case core.OutState:
		msg = "trpcws: state"
		attrs = append(attrs, slog.String("state", o.State.String()))
	case core.OutNote:
		switch o.Note {
		case core.NoteAttempt:
			attrs = append(attrs, slog.Int("attempt", o.Attempt), slog.Duration("delay", time.Duration(o.DelayMs)*time.Millisecond))
		case core.NoteOpen:
			attrs = append(attrs, slog.Int("socket", int(o.Sock)))
		case core.NoteClose:
			attrs = append(attrs, slog.Int("socket", int(o.Sock)), slog.Int("code", o.Code))
		case core.NoteTimeout:
			if o.ID != 0 {
				attrs = append(attrs, slog.Int64("call", o.ID))
			} else {
				attrs = append(attrs, slog.Int("socket", int(o.Sock)))
			}
		case core.NoteQueueFull:
			attrs = append(attrs, slog.Int64("call", o.ID))
		}
	}
	if o.Err != nil {
		attrs = append(attrs, slog.String("err", o.Err.Error()))
	}
	l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}
