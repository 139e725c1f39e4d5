"""The demo clinic that `make run` seeds, for trying NeedleChart out."""
