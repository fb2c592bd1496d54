package exitcode

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain error", base, RuntimeError},
		{"usage", Usage(base), UsageError},
		{"usagef", Usagef("bad %s", "flag"), UsageError},
		{"position lost", PositionLost(base), PositionLostError},
		{"explicit runtime", Runtime(base), RuntimeError},
		{"wrapped usage keeps class", fmt.Errorf("load config: %w", Usage(base)), UsageError},
		{"twice wrapped position lost", fmt.Errorf("a: %w", fmt.Errorf("b: %w", PositionLost(base))), PositionLostError},
		{"outermost mark wins", Runtime(fmt.Errorf("x: %w", Usage(base))), RuntimeError},
		{"joined errors take the first mark", errors.Join(base, PositionLost(io.EOF)), PositionLostError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestMarksKeepMessageAndChain(t *testing.T) {
	err := fmt.Errorf("open state: %w", PositionLost(io.ErrUnexpectedEOF))
	if err.Error() != "open state: unexpected EOF" {
		t.Errorf("message changed: %q", err.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is lost the wrapped error")
	}
	if !IsPositionLost(err) || IsUsage(err) {
		t.Error("IsPositionLost/IsUsage disagree with the mark")
	}
}

func TestNilStaysNil(t *testing.T) {
	if Usage(nil) != nil || PositionLost(nil) != nil || Runtime(nil) != nil {
		t.Error("marking nil must return nil")
	}
	if IsUsage(nil) || IsPositionLost(nil) {
		t.Error("nil is neither usage nor position lost")
	}
}
