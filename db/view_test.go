package db

import (
	"testing"
	"time"
)

// TestViewHoldsOffSwaps: a swap and a drop started while a View runs wait
// for it, the view's reads see the old collection throughout, writes of
// records inside the view go on while the swap waits (the swap takes the
// view lock before the writer lock), and both land once the view returns.
func TestViewHoldsOffSwaps(t *testing.T) {
	d := openTestDB(t, nil)
	for _, name := range []string{"items", "items.staging", "gone"} {
		if err := d.CreateCollection(Schema{Name: name, Dim: 2, Metric: L2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Put("items", "old", []float32{1, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Put("items.staging", "new", []float32{0, 1}, nil); err != nil {
		t.Fatal(err)
	}
	swapped, dropped := make(chan error, 1), make(chan error, 1)
	err := d.View(func() error {
		go func() { swapped <- d.ReplaceCollection("items", "items.staging") }()
		go func() { dropped <- d.DropCollection("gone") }()
		time.Sleep(50 * time.Millisecond)
		select {
		case err := <-swapped:
			t.Errorf("ReplaceCollection returned (%v) inside a View", err)
		case err := <-dropped:
			t.Errorf("DropCollection returned (%v) inside a View", err)
		default:
		}
		if err := d.Put("items", "during", []float32{1, 1}, nil); err != nil {
			return err
		}
		if _, err := d.Get("items", "old"); err != nil {
			return err
		}
		_, err := d.Collection("gone")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan error{swapped, dropped} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Get("items", "new"); err != nil {
		t.Fatalf("after the view: %v, want the swapped-in collection", err)
	}
	if _, err := d.Collection("gone"); err == nil {
		t.Fatal("the drop did not land after the view")
	}
}
