package authgatetest_test

import (
	"fmt"
	"runtime"
	"testing"
)

// fakeTB records what a kit function fails with. Only the methods the kit
// calls are implemented.
type fakeTB struct {
	testing.TB
	msg      string
	cleanups []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Fatal(args ...any) { f.msg = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Fatalf(s string, args ...any) {
	f.msg = fmt.Sprintf(s, args...)
	runtime.Goexit()
}

// fatal runs fn with a fakeTB and returns the message it failed with, ""
// if it did not fail.
func fatal(fn func(testing.TB)) string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f.msg
}
