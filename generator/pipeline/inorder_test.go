package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// inOrder hands every result to use once, in order, however the workers
// finish; it never runs more than its window ahead of use; and after use
// fails, no new work starts.
func TestInOrderIsInOrderAndBounded(t *testing.T) {
	t.Parallel()
	const n, workers = 300, 3
	var started, used atomic.Int64
	var ahead int64
	rng := rand.New(rand.NewPCG(1, 2))
	delays := make([]time.Duration, n)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(300)) * time.Microsecond
	}
	delays[5] = 20 * time.Millisecond // one slow early result holds up use
	var got []int
	err := inOrder(context.Background(), n, workers,
		func(i int) int {
			if d := started.Add(1) - used.Load(); d > atomic.LoadInt64(&ahead) {
				atomic.StoreInt64(&ahead, d)
			}
			time.Sleep(delays[i])
			return i * i
		},
		func(i, v int) error {
			used.Add(1)
			if v != i*i {
				t.Errorf("use(%d) got %d, the result of another index", i, v)
			}
			got = append(got, i)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("use ran %d times, want %d", len(got), n)
	}
	for i, g := range got {
		if g != i {
			t.Fatalf("use's %dth call was for %d: out of order", i, g)
		}
	}
	if max := atomic.LoadInt64(&ahead); max > 4*workers {
		t.Errorf("%d results were started ahead of use, more than the window of %d", max, 4*workers)
	}

	// use fails at 10: nothing is used after it, and no more than a
	// window's worth of work starts after it.
	started.Store(0)
	fail := errors.New("stop here")
	calls := 0
	err = inOrder(context.Background(), n, workers,
		func(i int) int { started.Add(1); time.Sleep(100 * time.Microsecond); return i },
		func(i, v int) error {
			calls++
			if i == 10 {
				return fail
			}
			return nil
		})
	if !errors.Is(err, fail) {
		t.Fatalf("inOrder returned %v, want use's error", err)
	}
	if calls != 11 {
		t.Errorf("use was called %d times, want 11 (up to and including the failure)", calls)
	}
	if s := started.Load(); s > 11+4*workers {
		t.Errorf("%d results were made, more than 11 and a window (%d) after use failed", s, 4*workers)
	}
}
