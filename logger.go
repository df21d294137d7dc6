package trpcws

import (
	"context"
	"log/slog"
	"time"

	"github.com/trpcws/trpcws/core"
)

// logNote forwards a core note or state change to Options.Logger; a
// panicking handler is reported to OnError and the client carries on.
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
	c.guard("Logger", func() { l.LogAttrs(ctx, slog.LevelDebug, msg, attrs...) })
}

// logPanic tells Options.Logger that a user callback panicked (at
// slog.LevelError); OnError is told too. A panicking handler is reported
// to OnError and not logged again.
func (c *Client) logPanic(err *PanicError) {
	l := c.opts.Logger
	if l == nil {
		return
	}
	c.guard("Logger", func() {
		l.LogAttrs(context.Background(), slog.LevelError, "trpcws: callback panicked",
			slog.String("callback", err.Callback), slog.Any("value", err.Value))
	})
}
